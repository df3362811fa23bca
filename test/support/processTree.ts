// The processes a test started and what they started in turn, from /proc, to kill the way a machine or a
// CI runner does: all at once. Pulumi starts each plugin in a process group of its own, so killing the
// CLI's group leaves the provider running; only the tree finds them all. A process is named by its pid
// and its start time, so a pid used again by another process is never signalled.
import { readdirSync, readFileSync } from "node:fs";

export interface Proc {
  pid: number;
  /** Clock ticks after boot (field 22 of /proc/PID/stat). */
  start: number;
}

/** PPid and start time of `pid`, or undefined when it is gone. */
function stat(pid: number): { ppid: number; start: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ESRCH") return undefined;
    throw error;
  }
  // The name (field 2) is in parentheses and may hold anything: the fields after its last ")" from 3 on.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { ppid: Number(fields[1]), start: Number(fields[19]) };
}

export function proc(pid: number): Proc | undefined {
  const s = stat(pid);
  return s && { pid, start: s.start };
}

const alive = (p: Proc) => stat(p.pid)?.start === p.start;

/** `roots` that still run, and every process below them now. */
export function processTree(roots: Proc[]): Proc[] {
  const children = new Map<number, Proc[]>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const s = stat(pid);
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), { pid, start: s.start }]);
  }
  const found: Proc[] = [];
  const queue = roots.filter(alive);
  for (let p = queue.shift(); p; p = queue.shift()) {
    found.push(p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  return found;
}

function signal(p: Proc, name: NodeJS.Signals): void {
  if (!alive(p)) return;
  try {
    process.kill(p.pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/**
 * SIGKILLs `roots` and everything below them as at one instant: each is stopped first (SIGSTOP), until
 * none is left that could start another, then all are killed. Nothing runs a step further after it.
 */
export function killTrees(roots: Proc[]): void {
  const stopped = new Map<number, Proc>();
  for (;;) {
    const fresh = processTree(roots).filter((p) => !stopped.has(p.pid));
    if (fresh.length === 0) break;
    for (const p of fresh) {
      signal(p, "SIGSTOP");
      stopped.set(p.pid, p);
    }
  }
  for (const p of stopped.values()) signal(p, "SIGKILL");
}
