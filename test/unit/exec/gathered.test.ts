// Calls that arrive together share one run; one run at a time per key; a call is never answered from a
// run that started before it arrived.
import { describe, expect, it } from "vitest";
import { gathered } from "../../../provider/exec/gathered";

describe("gathered", () => {
  it("runs the calls of one key that arrive together as one batch, each answered with its own result", async () => {
    const runs: number[][] = [];
    const twice = gathered(async (items: number[]) => {
      runs.push(items);
      return items.map((n) => n * 2);
    });
    expect(await Promise.all([twice("a", 1), twice("a", 2), twice("b", 3)])).toEqual([2, 4, 6]);
    expect(runs).toEqual([[1, 2], [3]]);
  });

  it("puts a call that arrives while its key's batch runs into the next batch, never the running one", async () => {
    const runs: string[][] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const echo = gathered(async (items: string[]) => {
      runs.push(items);
      if (runs.length === 1) await held;
      return items;
    });
    const first = echo("host", "first");
    await new Promise((resolve) => setTimeout(resolve, 20)); // the first batch is running
    const second = echo("host", "second");
    release();
    expect([await first, await second]).toEqual(["first", "second"]);
    expect(runs).toEqual([["first"], ["second"]]);
  });

  it("fails every call of a batch whose run throws, and runs the next batch anyway", async () => {
    let calls = 0;
    const flaky = gathered(async (items: string[]) => {
      calls += 1;
      if (calls === 1) throw new Error("host gone");
      return items;
    });
    const failed = await Promise.allSettled([flaky("h", "a"), flaky("h", "b")]);
    expect(failed.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(await flaky("h", "c")).toBe("c");
  });
});
