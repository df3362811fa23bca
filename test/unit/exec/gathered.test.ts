// Calls that arrive together share one run; one run at a time per kind of call and key; a call is never
// answered from a run that started before it arrived; the queues are a Gatherings' own.
import { describe, expect, it } from "vitest";
import { Gatherings, machineGatherings, type BatchRun } from "../../../provider/exec/gathered";
import { LocalRunner } from "../../../provider/exec/local";

/** A kind of call that doubles numbers, keeping its batches for the test to check. */
function doubling() {
  const runs: number[][] = [];
  const double: BatchRun<number, number> = async (items) => {
    runs.push(items);
    return items.map((n) => n * 2);
  };
  return { runs, double };
}

describe("Gatherings", () => {
  it("runs the calls of one kind and key that arrive together as one batch, each answered with its own result", async () => {
    const gatherings = new Gatherings();
    const { runs, double } = doubling();
    const twice = (key: string, n: number) => gatherings.join(double, key, n);
    expect(await Promise.all([twice("a", 1), twice("a", 2), twice("b", 3)])).toEqual([2, 4, 6]);
    expect(runs).toEqual([[1, 2], [3]]);
  });

  it("never puts calls of two kinds in one batch, whatever their key", async () => {
    const gatherings = new Gatherings();
    const first = doubling();
    const second = doubling();
    await Promise.all([gatherings.join(first.double, "", 1), gatherings.join(second.double, "", 2), gatherings.join(first.double, "", 3)]);
    expect([first.runs, second.runs]).toEqual([[[1, 3]], [[2]]]);
  });

  it("puts a call that arrives while its key's batch runs into the next batch, never the running one", async () => {
    const gatherings = new Gatherings();
    const runs: string[][] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const echo: BatchRun<string, string> = async (items) => {
      runs.push(items);
      if (runs.length === 1) await held;
      return items;
    };
    const first = gatherings.join(echo, "host", "first");
    await new Promise((resolve) => setTimeout(resolve, 20)); // the first batch is running
    const second = gatherings.join(echo, "host", "second");
    release();
    expect([await first, await second]).toEqual(["first", "second"]);
    expect(runs).toEqual([["first"], ["second"]]);
  });

  it("fails every call of a batch whose run throws, and runs the next batch anyway", async () => {
    const gatherings = new Gatherings();
    let calls = 0;
    const flaky: BatchRun<string, string> = async (items) => {
      calls += 1;
      if (calls === 1) throw new Error("host gone");
      return items;
    };
    const failed = await Promise.allSettled([gatherings.join(flaky, "h", "a"), gatherings.join(flaky, "h", "b")]);
    expect(failed.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(await gatherings.join(flaky, "h", "c")).toBe("c");
  });

  it("shares no batch with another Gatherings (another machine's, or a test's own)", async () => {
    const { runs, double } = doubling();
    await Promise.all([new Gatherings().join(double, "a", 1), new Gatherings().join(double, "a", 2)]);
    expect(runs.sort()).toEqual([[1], [2]]);
  });

  it("waits as long as it is told for others to join the first call", async () => {
    const gatherings = new Gatherings({ gatherMs: 100 });
    const { runs, double } = doubling();
    const first = gatherings.join(double, "a", 1);
    await new Promise((resolve) => setTimeout(resolve, 20)); // within the wait: the batch has not run
    await Promise.all([first, gatherings.join(double, "a", 2)]);
    expect(runs).toEqual([[1, 2]]);
  });
});

describe("a runner's Gatherings", () => {
  it("is its machine's: the runners of one machine share one, another machine's is another", () => {
    const user = () => new LocalRunner({ type: "local", sudo: false, persist: true });
    const sudo = new LocalRunner({ type: "local", sudo: true, persist: true });
    expect(user().gatherings).toBe(user().gatherings);
    expect(user().gatherings).toBe(machineGatherings(user().machine));
    expect(sudo.gatherings).not.toBe(user().gatherings);
  });

  it("is the test's own when it gives one", () => {
    const own = new Gatherings();
    expect(new LocalRunner({ type: "local", sudo: false, persist: true }, undefined, own).gatherings).toBe(own);
  });
});
