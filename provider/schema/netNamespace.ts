import type { NetNamespaceDesired } from "../model";
import type { ArgsSpec } from "./validate";
import { flag, netnsName } from "./fields";
import { hostObjectFields } from "./hostObject";
import { withPersist } from "./persist";

export const netNamespaceArgs: ArgsSpec<NetNamespaceDesired> = {
  kind: "NetNamespace",
  fields: {
    name: netnsName,
    loopbackUp: flag.default(true),
    ...hostObjectFields,
  },
  rules: [],
  complete: withPersist,
};
