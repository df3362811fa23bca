// The pool of long-lived shells, with local `sh -s` processes: what the local runner runs, and what an
// SSH session's shell is (the same scripts, the same pipes; test/integration/ssh.test.ts runs it over
// real sshd). Each leads a process group of its own, as sshd's sessions do: a request that times out
// has its group signalled.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it, onTestFinished } from "vitest";
import { ShellFailure, ShellPool } from "../../../provider/exec/shellPool";

const session = { buffer: false, reject: false, stdin: "pipe", detached: true } as const;

/** A pool whose sessions are local shells; `refuseAbove` plays sshd's MaxSessions. */
function localPool({ limit = 4, idleMs = 60_000, refuseAbove = Infinity, requestTimeoutMs = 60_000, openTimeoutMs = 60_000 } = {}) {
  const opened: number[] = [];
  let live = 0;
  const spawn = () => {
    live += 1;
    opened.push(live);
    const refuse = live > refuseAbove;
    const shell = refuse
      ? execa("sh", ["-c", "echo 'channel 3: open failed: administratively prohibited: open failed' >&2; exit 255"], session)
      : execa("sh", ["-s"], session);
    void shell.then(() => (live -= 1));
    return shell;
  };
  let prepared = 0;
  const pool = new ShellPool({
    prepare: async () => {
      prepared += 1;
    },
    spawn,
    limit,
    idleMs,
    requestTimeoutMs,
    openTimeoutMs,
    failed: (failure) => new Error(`${failure.stage}: ${failure.detail}`),
  });
  onTestFinished(() => pool.close()); // its shells end with the test, passed or failed
  return { pool, opened, live: () => live, prepared: () => prepared };
}
/**
 * A pool whose every session is `argv` (a stand-in for an ssh that fails, hangs or works), counting
 * the sessions it starts; errors come back as they are.
 */
function poolOfSessions(argv: string[], overrides: Partial<ConstructorParameters<typeof ShellPool>[0]> = {}) {
  let spawned = 0;
  const pool = new ShellPool({
    prepare: async () => undefined,
    spawn: () => {
      spawned += 1;
      const [file = "", ...args] = argv;
      return execa(file, args, session);
    },
    limit: 4,
    idleMs: 1000,
    requestTimeoutMs: 60_000,
    openTimeoutMs: 60_000,
    failed: (failure) => failure,
    ...overrides,
  });
  onTestFinished(() => pool.close());
  return { pool, spawned: () => spawned };
}

/** Operation i arrives 10 ms after the one before, while earlier ones still run, as in a deployment. */
const staggered = async <T>(i: number, work: () => Promise<T>) => {
  await new Promise((resolve) => setTimeout(resolve, i * 10));
  return work();
};
/** Waits (up to 10 s) for `done`, which happens on its own soon. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; !done(); ) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
const sleepy = (seconds: number, word: string) => [{ argv: ["sh", "-c", `sleep ${seconds}; echo ${word}`] }];

describe("ShellPool", () => {
  it("runs many operations over a few shells, never more than its limit at once", async () => {
    const { pool, opened } = localPool({ limit: 3 });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => staggered(i, () => pool.run(sleepy(0.1, `op${i}`)))));
    expect(results.map((r) => r[0]?.stdout)).toEqual(Array.from({ length: 40 }, (_, i) => `op${i}\n`));
    expect(opened).toEqual([1, 2, 3]);
  });

  it("reuses an idle shell rather than opening another", async () => {
    const { pool, opened } = localPool();
    for (let i = 0; i < 5; i++) expect((await pool.run([{ argv: ["echo", String(i)] }]))[0]?.stdout).toBe(`${i}\n`);
    expect(opened).toEqual([1]);
  });

  it("closes a shell that has been idle for its time", async () => {
    const { pool, live } = localPool({ idleMs: 50 });
    await pool.run([{ argv: ["true"] }]);
    expect(live()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(live()).toBe(0);
    expect(pool.size).toBe(0);
  });

  it("stays within a lower session limit than its own, queuing instead of failing", async () => {
    const { pool, opened } = localPool({ limit: 8, refuseAbove: 2 });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => staggered(i, () => pool.run(sleepy(0.1, `op${i}`)))));
    expect(results.every((r) => r[0]?.exitCode === 0)).toBe(true);
    // One refused session taught it the limit; it did not ask again.
    expect(opened.filter((n) => n > 2)).toHaveLength(1);
  });

  it("fails an operation whose shell dies under it as interrupted, and serves the next in a new shell", async () => {
    const { pool, opened } = localPool();
    // A request's first operation runs in the shell itself: the command's parent is the shell.
    const dying = pool.run([{ argv: ["sh", "-c", "kill -9 $PPID"] }]);
    await expect(dying).rejects.toThrow(/^request: /);
    expect((await pool.run([{ argv: ["echo", "again"] }]))[0]?.stdout).toBe("again\n");
    expect(opened).toHaveLength(2);
  });

  it("fails waiting operations as not run when no shell opens, after checking the master once more", async () => {
    let prepared = 0;
    const { pool, spawned } = poolOfSessions(["sh", "-c", "echo 'Connection refused' >&2; exit 255"], {
      prepare: async () => {
        prepared += 1;
      },
    });
    const failure = await pool.run([{ argv: ["true"] }]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ShellFailure);
    expect(failure).toMatchObject({ stage: "open", detail: "Connection refused" });
    expect([prepared, spawned()]).toEqual([2, 2]);
  });

  it("fails waiting operations with the master's error when it cannot be brought up, opening no session", async () => {
    const { pool, spawned } = poolOfSessions(["sh", "-s"], { prepare: () => Promise.reject(new Error("host key could not be verified")) });
    await expect(pool.run([{ argv: ["true"] }])).rejects.toThrow("host key could not be verified");
    expect(spawned()).toBe(0);
  });

  it("bounds a request: no answer in time fails it as maybe run, ends its shell, and the next gets a new one", async () => {
    // Long enough for the next request's echo on a loaded machine; far below the sleep.
    const { pool, opened } = localPool({ requestTimeoutMs: 3000 });
    await expect(pool.run([{ argv: ["sleep", "30"] }])).rejects.toThrow(/^request: no answer within 3 s/);
    expect((await pool.run([{ argv: ["echo", "after"] }]))[0]?.stdout).toBe("after\n");
    expect(opened).toHaveLength(2);
  });

  it("bounds the opening of a session: one that never gets ready fails as not run, and its ssh is ended", async () => {
    // A login that hangs: the session never says it is ready.
    const { pool, spawned } = poolOfSessions(["sleep", "30"], { openTimeoutMs: 300 });
    const failure = await pool.run([{ argv: ["true"] }]).catch((error: unknown) => error);
    expect(failure).toMatchObject({ stage: "open", detail: "no session within 0.3 s" });
    expect(spawned()).toBe(1); // not again: the time is spent, and the host is the cause, not the master
  });

  /**
   * Sessions whose ssh, once killed, leaves its pipes open, as a session's ssh does: it hands them to
   * the master, which keeps them while the host's side runs. Here a background sleep holds them.
   */
  function heldSessions(script: string) {
    const dir = mkdtempSync(path.join(tmpdir(), "pi2-held-"));
    onTestFinished(async () => {
      const pids = readFileSync(path.join(dir, "held"), { encoding: "utf8", flag: "a+" }).split("\n").filter(Boolean);
      if (pids.length > 0) await execa("kill", pids, { reject: false });
      rmSync(dir, { recursive: true, force: true });
    });
    return ["sh", "-c", `sleep 600 & echo $! >>${dir}/held; ${script}`];
  }

  it("gives up a session that never gets ready at once, though its pipes stay open", async () => {
    const { pool } = poolOfSessions(heldSessions("exec sleep 600"), { openTimeoutMs: 300 });
    const failure = await pool.run([{ argv: ["true"] }]).catch((error: unknown) => error);
    expect(failure).toMatchObject({ stage: "open", detail: "no session within 0.3 s" });
    expect(pool.size).toBe(0);
  });

  it("frees the session of every request that timed out, though their pipes stay open, and ends what they ran: the next still runs", async () => {
    const { pool, spawned } = poolOfSessions(heldSessions("exec sh -s"), { limit: 2, requestTimeoutMs: 1000 });
    const started = path.join(mkdtempSync(path.join(tmpdir(), "pi2-stuck-")), "pids");
    onTestFinished(() => rmSync(path.dirname(started), { recursive: true, force: true }));
    const stuck = [{ argv: ["sh", "-c", `echo $$ >>${started}; exec sleep 600`] }];
    for (let i = 0; i < 3; i++) await expect(pool.run(stuck)).rejects.toMatchObject({ stage: "request", timedOut: true });
    expect((await pool.run([{ argv: ["echo", "after"] }]))[0]?.stdout).toBe("after\n");
    expect(spawned()).toBeGreaterThanOrEqual(4);
    const pids = readFileSync(started, "utf8").split("\n").filter(Boolean);
    expect(pids).toHaveLength(3);
    await until(() => pids.every((pid) => !existsSync(`/proc/${pid}`)), "the stuck commands to be ended");
  });

  it("checks the master only when it opens a session while none is open", async () => {
    const { pool, prepared } = localPool();
    for (let i = 0; i < 3; i++) await pool.run([{ argv: ["true"] }]);
    await Promise.all([pool.run(sleepy(0.3, "a")), pool.run(sleepy(0.3, "b"))]); // a second session, beside the first
    expect(prepared()).toBe(1);
  });
});
