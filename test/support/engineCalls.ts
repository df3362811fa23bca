// Calling a resource's handlers the way the engine does: check before create and update, diff before
// update, with the checked inputs.
import { expect } from "vitest";

type Props = Record<string, unknown>;

interface Handlers {
  check(olds: Props, news: Props): Promise<{ inputs?: unknown; failures?: unknown[] }>;
  diff(id: string, olds: Props, news: Props): Promise<{ changes: boolean; replaces: string[] }>;
  create(inputs: Props): Promise<{ id: string; outs: object }>;
  update(id: string, olds: Props, news: Props): Promise<{ outs: object }>;
}

export function asTheEngine(handlers: Handlers) {
  return {
    async create(news: Props) {
      const checked = await handlers.check({}, news);
      expect(checked.failures ?? []).toEqual([]);
      const inputs = checked.inputs as Props;
      const { id, outs } = await handlers.create(inputs);
      return { id, inputs, outs: outs as Props };
    },
    /** diff, then update unless the diff says replace (then `outs` is undefined). */
    async update(olds: Props, news: Props) {
      const result = await handlers.check({}, news);
      expect(result.failures ?? []).toEqual([]);
      const checked = result.inputs as Props;
      const diff = await handlers.diff("id", olds, checked);
      const outs = diff.replaces.length === 0 ? ((await handlers.update("id", olds, checked)).outs as Props) : undefined;
      return { diff, outs };
    },
  };
}
