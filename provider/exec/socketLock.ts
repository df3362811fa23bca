// A lock file held while one provider process (re)starts a master, so that two processes starting the
// same one take turns. It holds the holder's pid. It appears whole or not at all: the pid is written
// to a file of our own first, which is then linked to the lock's name (link fails, atomically, when
// the name is taken). A lock whose holder is gone is moved aside to a name of our own before anything
// else, and removed only if it is still the one judged stale, so two waiters never break one lock
// twice, and a lock taken meanwhile is put back.
import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { processExists } from "./processes";

export interface LockOptions {
  /** Give up waiting for a live holder at this time (ms since the epoch). */
  deadline: number;
  /** How often a held lock is looked at again. */
  pollMs?: number;
  /**
   * An empty lock is one being written by an older version of this package (create, then write): it
   * is stale only once it is older than this.
   */
  emptyGraceMs?: number;
}

/** Who holds the lock when the wait is given up. */
export class LockBusy extends Error {
  constructor(readonly holder: string) {
    super(`the lock is held by ${holder}`);
  }
}

/**
 * Takes the lock at `lock`, waiting while a live process holds it; returns its release. The private
 * folder's sweep removes a `k-<pid>-` file left by a process killed in the middle.
 */
export async function claimLock(lock: string, options: LockOptions): Promise<() => void> {
  const { deadline, pollMs = 100, emptyGraceMs = 10_000 } = options;
  const unique = () => path.join(path.dirname(lock), `k-${process.pid}-${randomBytes(6).toString("hex")}`);
  for (;;) {
    const mine = takeLock(lock, unique());
    if (mine !== undefined) return () => releaseLock(lock, mine);
    const seen = readLock(lock);
    if (seen === undefined) continue; // released between our try and our look: try again
    const pid = Number(seen.text);
    const stale = seen.text === "" ? Date.now() - seen.mtimeMs > emptyGraceMs : !(pid > 0 && processExists(pid));
    if (stale) {
      breakStaleLock(lock, seen, unique());
      continue;
    }
    if (Date.now() > deadline) throw new LockBusy(seen.text === "" ? "a process that is writing it" : `pid ${pid}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Links a file holding our pid to `lock`; its inode when we got it, undefined when it is taken. */
function takeLock(lock: string, temp: string): number | undefined {
  writeFileSync(temp, String(process.pid), { flag: "wx", mode: 0o600 });
  try {
    linkSync(temp, lock);
    return statSync(temp).ino;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return undefined;
    throw error;
  } finally {
    rmSync(temp, { force: true });
  }
}

/** The lock's text, inode and age; undefined when there is no lock (any more). */
function readLock(lock: string): { text: string; ino: number; mtimeMs: number } | undefined {
  try {
    const { ino, mtimeMs } = statSync(lock);
    const text = readFileSync(lock, "utf8").trim();
    // Read the same file we stat'ed: a lock replaced in between is looked at again.
    return statSync(lock).ino === ino ? { text, ino, mtimeMs } : readLock(lock);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Moves the lock aside and removes it if it is the stale one (same inode and text). If another waiter
 * broke it first and a new holder took the name, what was moved is that holder's lock: it goes back.
 */
function breakStaleLock(lock: string, stale: { text: string; ino: number }, aside: string): void {
  try {
    renameSync(lock, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return; // broken or released already
    throw error;
  }
  try {
    const theStaleOne = statSync(aside).ino === stale.ino && readFileSync(aside, "utf8").trim() === stale.text;
    if (!theStaleOne) {
      try {
        linkSync(aside, lock);
      } catch (error) {
        // Taken again in the moment it was aside: its holder and the new one both hold it now. Rare
        // (three processes starting one master, with a stale lock); the worst is a master started twice.
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
    }
  } finally {
    rmSync(aside, { force: true });
  }
}

/**
 * Removes the lock if it is still ours (inode `ino`, holding our pid: an inode number alone may be
 * given to the next file at once): never one that another process holds now.
 */
function releaseLock(lock: string, ino: number): void {
  const current = readLock(lock);
  if (current?.ino === ino && current.text === String(process.pid)) rmSync(lock, { force: true });
}
