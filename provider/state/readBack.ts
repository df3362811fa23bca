// What a read of the host is: lines for one `ip -j -d` batch in a namespace, then other commands. A
// plan's apply can carry the lines in its own last batch (apply.ts); a read on its own runs them here.
import { batchCommand } from "../exec/ipBatch";
import type { Command } from "../exec/runner";

/**
 * Reading back what a plan did: lines for an `ip -j -d` batch in `netns` (they print JSON; the plan's
 * lines print nothing), then `extra` commands. When the plan's last batch runs in the same namespace,
 * it carries the lines too: one process fewer per operation. With no lines, only `extra` runs.
 */
export interface ReadBack {
  netns?: string;
  lines: string[][];
  extra: Command[];
  /**
   * Run every line even after one fails (`-force`); never merged into a plan's batch then. Such a batch
   * exits non-zero when a line failed, and a run stops at that: its extra commands go first.
   */
  force?: boolean;
}

/** A read run on its own: the batch, then the extra commands (before it, when forced). */
export function readBackCommands(read: ReadBack): Command[] {
  if (read.lines.length === 0) return read.extra;
  const batch = batchCommand(read.netns, read.lines, ["-j", "-d", ...(read.force ? ["-force"] : [])]);
  return read.force ? [...read.extra, batch] : [batch, ...read.extra];
}
