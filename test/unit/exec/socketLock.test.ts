// The lock two provider processes take turns with while one (re)starts a master, with real files and,
// for the races, real processes (the built package, dist/), each taking the lock many times.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it, onTestFinished } from "vitest";
import { claimLock, LockBusy } from "../../../provider/exec/socketLock";
import { repoRoot } from "../../support/engine";

function folder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "pi2-lock-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
const soon = () => Date.now() + 500;

/** A pid no process has now (one that has just exited). */
async function deadPid(): Promise<number> {
  const child = execa("true");
  await child;
  return child.pid ?? 0;
}

/**
 * `count` node processes that each take the lock `rounds` times, holding it a little, and log
 * "in PID" / "out PID" in `log` around each hold (appends of a line are atomic).
 */
function contenders(lock: string, log: string, count: number, rounds: number) {
  const module = JSON.stringify(path.join(repoRoot, "dist", "provider", "exec", "socketLock.js"));
  const script = `
    const { claimLock } = require(${module});
    const { appendFileSync } = require("node:fs");
    (async () => {
      for (let i = 0; i < ${rounds}; i++) {
        const release = await claimLock(${JSON.stringify(lock)}, { deadline: Date.now() + 60000, pollMs: 5 });
        appendFileSync(${JSON.stringify(log)}, "in " + process.pid + "\\n");
        await new Promise((r) => setTimeout(r, 3));
        appendFileSync(${JSON.stringify(log)}, "out " + process.pid + "\\n");
        release();
      }
    })().catch((e) => { console.error(e); process.exit(1); });`;
  return Array.from({ length: count }, () => execa("node", ["-e", script]));
}

/** Whether the log shows one holder at a time: every "in" followed by its own "out". */
function oneAtATime(log: string): boolean {
  const lines = readFileSync(log, "utf8").split("\n").filter(Boolean);
  return lines.every((line, i) => (i % 2 === 0 ? line.startsWith("in ") : line === `out ${lines[i - 1]?.slice(3)}`));
}

describe("claimLock", () => {
  it("gives the lock to one process at a time, however many race for it, taking and releasing it", async () => {
    const dir = folder();
    const [lock, log] = [path.join(dir, "m.sock.lock"), path.join(dir, "log")];
    await Promise.all(contenders(lock, log, 6, 40));
    expect(readFileSync(log, "utf8").split("\n").filter(Boolean)).toHaveLength(6 * 40 * 2);
    expect(oneAtATime(log)).toBe(true);
    expect(existsSync(lock)).toBe(false);
  }, 120_000);

  it("lets one process at a time through a lock left by a process that is gone, though all find it stale at once", async () => {
    for (let round = 0; round < 5; round++) {
      const dir = folder();
      const [lock, log] = [path.join(dir, "m.sock.lock"), path.join(dir, "log")];
      writeFileSync(lock, String(await deadPid()));
      appendFileSync(log, "");
      await Promise.all(contenders(lock, log, 4, 1));
      expect(oneAtATime(log)).toBe(true);
    }
  }, 120_000);

  it("does not break an empty lock, which a live process (an older version of this package) is writing", async () => {
    const lock = path.join(folder(), "m.sock.lock");
    writeFileSync(lock, "");
    await expect(claimLock(lock, { deadline: soon(), pollMs: 20 })).rejects.toEqual(new LockBusy("a process that is writing it"));
    expect(readFileSync(lock, "utf8")).toBe("");
  });

  it("breaks an empty lock once it is older than a write takes: its writer died between its two steps", async () => {
    const lock = path.join(folder(), "m.sock.lock");
    writeFileSync(lock, "");
    const longAgo = new Date(Date.now() - 60_000);
    utimesSync(lock, longAgo, longAgo);
    const release = await claimLock(lock, { deadline: soon() });
    expect(readFileSync(lock, "utf8")).toBe(String(process.pid));
    release();
  });

  it("waits for a live holder, and says who it is when it gives up", async () => {
    const lock = path.join(folder(), "m.sock.lock");
    const holder = execa("sleep", ["30"], { reject: false });
    onTestFinished(() => void holder.kill());
    writeFileSync(lock, String(holder.pid));
    await expect(claimLock(lock, { deadline: soon(), pollMs: 20 })).rejects.toEqual(new LockBusy(`pid ${holder.pid}`));
  });

  it("takes a lock released while it looks at it (ENOENT between its try and its read), never failing on it", async () => {
    const dir = folder();
    const [lock, log] = [path.join(dir, "m.sock.lock"), path.join(dir, "log")];
    // Two processes taking it back and forth, as fast as they can: each finds it gone at some point.
    await Promise.all(contenders(lock, log, 2, 300));
    expect(oneAtATime(log)).toBe(true);
  }, 120_000);

  it("leaves a lock another process holds now when its own was taken from it", async () => {
    const lock = path.join(folder(), "m.sock.lock");
    const release = await claimLock(lock, { deadline: soon() });
    rmSync(lock); // as if broken by mistake
    writeFileSync(lock, "1"); // pid 1 lives: another holder
    release();
    expect(readFileSync(lock, "utf8")).toBe("1");
  });
});
