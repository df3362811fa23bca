// Echo: a dynamic resource that touches no host and keeps `value`. It checks the chain a stack runs
// on (the engine, the dynamic-provider plugin, this package loaded from node_modules) without root.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { HostResource } from "./hostResource";

const echoInputs = z.object({ value: z.string({ error: "value must be a string" }) });
type Props = Record<string, unknown>;

export const echoHandlers = {
  async check(_olds: Props, news: Props) {
    const parsed = echoInputs.safeParse(news);
    return parsed.success
      ? { inputs: { value: parsed.data.value } }
      : { inputs: news, failures: [{ property: "value", reason: "must be a string" }] };
  },
  async diff(_id: string, olds: Props, news: Props) {
    return { changes: olds.value !== news.value };
  },
  async create(inputs: Props) {
    const { value } = echoInputs.parse(inputs);
    return { id: `echo-${value.length}`, outs: { value, length: value.length } };
  },
  async read(id: string, props: Props) {
    const { value } = echoInputs.parse(props);
    return { id, props: { value, length: value.length }, inputs: { value } };
  },
  async update(_id: string, _olds: Props, news: Props) {
    const { value } = echoInputs.parse(news);
    return { outs: { value, length: value.length } };
  },
  async delete() {},
};

export class Echo extends HostResource {
  /** What the provider runs for this kind (impl.ts derives its map from these): not for programs. */
  static readonly handlers = echoHandlers;

  declare readonly value: pulumi.Output<string>;
  declare readonly length: pulumi.Output<number>;

  constructor(name: string, args: { value: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions) {
    super("Echo", name, { length: undefined, ...args }, opts);
  }
}
