// Long-lived shells, each a POSIX `sh -s` fed one request after another (shellScript.ts). Over SSH a
// session costs sshd a fork, a login and a shell (tens of milliseconds, and CPU on the host); on this
// machine each command started by Node costs a spawn (about 14 ms, more than the `ip` it runs). A
// deployment sends a host hundreds of small operations, spread in time: so each shell stays open, and
// the pool opens shells only while all are busy, up to a limit (below sshd's MaxSessions over SSH).
// Both runners (ssh.ts, local.ts) use this pool: one request framing, one design.
import type { Readable, Writable } from "node:stream";
import type { Command, CommandResult } from "./runner";
import { requestScript, shellPrelude, ShellOutput, UnreadableResponse } from "./shellScript";

/** An `sh -s` (local, or `ssh ... sh -s`) started by execa (with buffer: false): what a shell needs of it. */
export interface ShellProcess extends PromiseLike<{ exitCode?: number; signal?: string }> {
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  kill(): boolean;
  ref?(): void;
  unref?(): void;
}

/**
 * Whether the shell's process and pipes keep Node running: only while something waits on it. An idle
 * shell must not keep a process that is done (a script, `scan`) alive until the shell's idle timeout.
 */
function holdOpen(process: ShellProcess, hold: boolean): void {
  for (const handle of [process, process.stdin, process.stdout, process.stderr] as ({ ref?(): void; unref?(): void } | null)[]) {
    if (hold) handle?.ref?.();
    else handle?.unref?.();
  }
}

/** Why a shell could not serve a request: it never opened (nothing ran), or it broke during one. */
export class ShellFailure extends Error {
  constructor(
    readonly stage: "open" | "request",
    /** What its process said (ssh's stderr, or how the shell exited). */
    readonly detail: string,
    /** It was given up for taking too long (not ended by its process or the host). */
    readonly timedOut = false,
  ) {
    super(detail);
  }
  /** sshd refused one more session on this connection: its MaxSessions is reached. */
  get sessionLimit(): boolean {
    return this.stage === "open" && /administratively prohibited|open failed|Session open refused/i.test(this.detail);
  }
}

/** One shell (a local process, or an SSH session) running `sh -s`, fed one request at a time. */
export class Shell {
  readonly opened: Promise<void>;
  /** The shell's process group on its host (from its ready line), to end what a request left running. */
  processGroup?: number;
  private readonly output = new ShellOutput();
  private stderr = "";
  private current?: { groups: Command[][]; resolve: (results: CommandResult[][]) => void; reject: (error: unknown) => void };
  private exited = false;
  private closing = false;
  private onOutput?: () => void;
  private failOpen?: (failure: ShellFailure) => void;

  constructor(
    private readonly process: ShellProcess,
    /** Called once, when the shell is gone: its process ended, or it was given up. */
    private readonly onExit: (shell: Shell) => void,
    /** A shell not ready this long (an SSH login that hangs on the host) is given up: nothing ran. */
    openTimeoutMs: number,
  ) {
    process.stdout?.on("data", (chunk: Buffer) => {
      this.output.push(chunk);
      this.onOutput?.();
    });
    process.stderr?.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-2000);
    });
    for (const stream of [process.stdin, process.stdout, process.stderr]) stream?.on("error", () => undefined); // shows as the exit below
    this.opened = new Promise<void>((resolve, reject) => {
      this.failOpen = reject;
      this.onOutput = () => {
        const group = this.output.takeReady();
        if (group !== undefined) {
          this.processGroup = group > 1 ? group : undefined; // never -1 to kill: every process of the user
          this.onOutput = () => this.answer();
          resolve();
        }
      };
    });
    this.opened.catch(() => undefined); // its reason goes to whoever waits for it
    void process.then((result) => this.gone(this.stderr.trim() || `the shell's process exited with ${String(result.exitCode ?? result.signal)}`));
    const openTimer = setTimeout(() => this.giveUp(`no session within ${openTimeoutMs / 1000} s`), openTimeoutMs);
    this.opened.then(
      () => {
        clearTimeout(openTimer);
        holdOpen(process, false);
      },
      () => clearTimeout(openTimer),
    );
    process.stdin?.write(shellPrelude);
  }

  /**
   * Runs one request; the shell must be open and idle. With no answer within `timeoutMs` the request
   * fails (it may have run) and the shell is ended: its process is killed, so nothing waits on it.
   */
  run(groups: Command[][], timeoutMs: number): Promise<CommandResult[][]> {
    if (this.exited || this.closing) return Promise.reject(new ShellFailure("open", "the session has closed"));
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<CommandResult[][]>((resolve, reject) => {
      this.current = { groups, resolve, reject };
      holdOpen(this.process, true);
      this.process.stdin?.write(requestScript(groups));
      timer = setTimeout(() => this.giveUp(`no answer within ${timeoutMs / 1000} s`), timeoutMs);
    });
    return answered.finally(() => {
      clearTimeout(timer);
      if (!this.exited) holdOpen(this.process, false);
    });
  }

  /** Ends the shell: it exits when its input does. */
  close(): void {
    this.closing = true;
    this.process.stdin?.end();
  }

  /**
   * Gives the shell up at once: its process is killed, and the shell counts as gone now. Its output
   * may not end with it: a session's ssh hands its pipes to the master, which keeps them open while
   * the host's side runs (a login that hangs, a command that does not return).
   */
  private giveUp(reason: string): void {
    this.process.kill();
    this.gone(reason, true);
  }

  /** Once: whatever waits on the shell fails, our ends of its pipes are closed, the pool is told. */
  private gone(said: string, timedOut = false): void {
    if (this.exited) return;
    this.exited = true;
    this.failOpen?.(new ShellFailure("open", said, timedOut));
    this.current?.reject(new ShellFailure("request", said, timedOut));
    this.current = undefined;
    for (const stream of [this.process.stdin, this.process.stdout, this.process.stderr]) stream?.destroy();
    this.onExit(this);
  }

  private answer(): void {
    const current = this.current;
    if (!current) return;
    let results: CommandResult[][] | undefined;
    try {
      results = this.output.takeResponse(current.groups);
    } catch (error) {
      // The commands ran, or some did: the operations fail as interrupted (never as "nothing ran"), and
      // what the shell printed is not repeated (it may be another operation's output).
      this.current = undefined;
      current.reject(new ShellFailure("request", `its answer could not be read (${error instanceof UnreadableResponse ? error.message : String(error)})`));
      this.close();
      return;
    }
    if (results) {
      this.current = undefined;
      current.resolve(results);
    }
  }
}

interface Waiting {
  commands: Command[];
  resolve: (results: CommandResult[]) => void;
  reject: (error: unknown) => void;
}

export interface ShellPoolOptions {
  /**
   * Runs before a shell opens while none is open: over SSH, makes sure the master it opens on is up
   * (its error goes to the waiting operations).
   */
  prepare: () => Promise<void>;
  /** Starts `sh -s`: here, or `ssh ... sh -s` on the master. */
  spawn: () => ShellProcess;
  /** At most this many shells at once; lowered if sshd refuses a session (its MaxSessions is lower). */
  limit: number;
  /** A shell idle this long is closed. */
  idleMs: number;
  /** A request with no answer this long fails, and its shell is ended. */
  requestTimeoutMs: number;
  /** A shell not ready this long is given up (nothing of the waiting operations ran). */
  openTimeoutMs: number;
  /** Makes the error a waiting operation gets when a shell fails (its kind says whether it ran). */
  failed: (failure: ShellFailure) => Error;
}

/**
 * The shells of one host (over SSH, of one master). Operations that arrive while every shell is busy wait together and go to
 * the next free shell as one request (each in its own subshell). A shell idle for `idleMs` is closed.
 */
export class ShellPool {
  private readonly shells = new Set<Shell>();
  private readonly idle: Shell[] = [];
  private readonly waiting: Waiting[] = [];
  private opening = 0;
  private readonly idleTimers = new Map<Shell, NodeJS.Timeout>();
  private limit: number;
  /** Opens that failed in a row with no shell left: the first is tried again (the master may have just gone). */
  private failedOpens = 0;
  private closed = false;

  constructor(private readonly options: ShellPoolOptions) {
    this.limit = options.limit;
  }

  /** Sessions open or opening now (for tests and benchmarks). */
  get size(): number {
    return this.shells.size;
  }

  run(commands: Command[]): Promise<CommandResult[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ commands, resolve, reject });
      this.dispatch();
    });
  }

  /** Closes every shell (over SSH their master stays, for ControlPersist). */
  close(): void {
    this.closed = true;
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    this.idleTimers.clear();
    this.idle.splice(0);
    for (const shell of this.shells) shell.close();
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const shell = this.idle.pop();
      if (!shell) break;
      clearTimeout(this.idleTimers.get(shell));
      this.idleTimers.delete(shell);
      void this.serve(shell, this.waiting.splice(0));
    }
    if (this.waiting.length > 0 && this.opening === 0 && this.shells.size < this.limit) this.open();
  }

  private async serve(shell: Shell, batch: Waiting[]): Promise<void> {
    try {
      const results = await shell.run(
        batch.map((w) => w.commands),
        this.options.requestTimeoutMs,
      );
      batch.forEach((w, i) => w.resolve(results[i] ?? []));
      this.release(shell);
    } catch (error) {
      // Each operation gets an error of its own: callers add their resource's details to it.
      for (const w of batch) w.reject(error instanceof ShellFailure ? this.options.failed(error) : error);
      if (error instanceof ShellFailure && error.timedOut) this.endGroup(shell);
    }
  }

  /**
   * A shell given up during a request may still run it on its host (a command stuck on a kernel
   * lock, one that waits for ever), holding whatever it holds (over SSH, a session too: sshd counts
   * them, MaxSessions). Its process group is signalled through another shell of the pool, as the same
   * user (who may signal sudo, which passes the signal on). Best effort: its failure changes nothing.
   */
  private endGroup(shell: Shell): void {
    if (this.closed || shell.processGroup === undefined) return;
    // `kill -TERM -GROUP`, not `kill -s TERM -- -GROUP`: dash's kill reads a `--` or `-s`'s operand as a number.
    this.run([{ argv: ["kill", "-TERM", `-${shell.processGroup}`] }]).catch(() => undefined);
  }

  private release(shell: Shell): void {
    if (!this.shells.has(shell)) return;
    this.idle.push(shell);
    const timer = setTimeout(() => {
      // Out of the idle list first: a request written to a closing shell would never be answered.
      this.idle.splice(this.idle.indexOf(shell), 1);
      shell.close();
    }, this.options.idleMs);
    timer.unref();
    this.idleTimers.set(shell, timer);
    this.dispatch();
  }

  private open(): void {
    this.opening += 1;
    // A shell that is open proves its master is up (shells end with it): check only when none is.
    const ready = this.shells.size > 0 ? Promise.resolve() : this.options.prepare();
    ready.then(
      () => this.openShell(),
      (error: unknown) => {
        // No master: nothing of the waiting operations ran. Shells still open serve them; with none,
        // they fail with the master's error (unreachable, host key, refused).
        this.opening -= 1;
        if (this.shells.size === 0) for (const w of this.waiting.splice(0)) w.reject(error);
      },
    );
  }

  private openShell(): void {
    const shell = new Shell(
      this.options.spawn(),
      (gone) => {
        this.shells.delete(gone);
        clearTimeout(this.idleTimers.get(gone));
        this.idleTimers.delete(gone);
        const at = this.idle.indexOf(gone);
        if (at >= 0) this.idle.splice(at, 1);
        this.dispatch(); // operations still waiting get another shell (or its error, if none opens)
      },
      this.options.openTimeoutMs,
    );
    this.shells.add(shell);
    shell.opened.then(
      () => {
        this.opening -= 1;
        this.failedOpens = 0;
        this.release(shell);
      },
      (error: ShellFailure) => {
        this.opening -= 1;
        if (this.shells.size > 0) {
          // The open ones will serve the waiting operations (nothing of theirs ran). A refusal means
          // sshd allows fewer sessions than we thought: ask for no more than we have.
          if (error.sessionLimit) this.limit = this.shells.size;
          return;
        }
        // With no shell left, the master may have gone just after it was checked: one more try, which
        // checks (and starts) it again. Nothing ran: a session that cannot reach it connects nowhere.
        // Not after a session that did not open in time: that is the host, and the time is spent.
        this.failedOpens += 1;
        if (this.failedOpens === 1 && !error.timedOut && this.waiting.length > 0) {
          this.open();
          return;
        }
        this.failedOpens = 0;
        for (const w of this.waiting.splice(0)) w.reject(this.options.failed(error));
      },
    );
  }
}
