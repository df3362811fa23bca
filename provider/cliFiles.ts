// The files the `pulumi-iproute2` command reads and writes for its user (cli.ts): a private key
// (--identity) and the program it prints (--out). The command may run as root on a host where others
// have folders: it takes only a regular file of its user's, never through a symbolic link, and a key
// only as `ssh -i` would (nobody else can read it, no passphrase).
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";

/** Bad usage: the command says so with exit code 2 and points at --help. */
export class UsageError extends Error {}

/**
 * `file` opened for `flag` (--identity, --out), only if it is a regular file of this user's: never
 * through a symbolic link (another user may plant one where the file goes, say in /tmp), and never a
 * FIFO planted there, which O_NONBLOCK keeps from hanging the command until it is refused.
 */
function openOwnFile(flag: string, file: string, how: { write: boolean; refused: string }): number {
  let fd: number;
  try {
    const access = how.write ? constants.O_WRONLY | constants.O_CREAT : constants.O_RDONLY;
    fd = openSync(file, access | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${flag}: cannot ${how.write ? "write" : "read"} ${file}${code === "ELOOP" ? ": it is a symbolic link" : `: ${(error as Error).message}`}`);
  }
  const stat = fstatSync(fd);
  const problem = !stat.isFile() ? "is not a regular file" : stat.uid !== process.getuid?.() ? `belongs to another user (uid ${stat.uid})` : undefined;
  if (problem !== undefined) {
    closeSync(fd);
    throw new UsageError(`${flag}: ${file} ${problem}${how.refused}`);
  }
  return fd;
}

/**
 * The key in `file`, read the way `ssh -i` would take it: a regular file of this user's that nobody
 * else can read (or change), never through a symbolic link; one with a passphrase belongs in the agent.
 */
export function readIdentity(file: string): string {
  const fd = openOwnFile("--identity", file, { write: false, refused: "" });
  try {
    const mode = fstatSync(fd).mode;
    if ((mode & 0o077) !== 0) throw new UsageError(`--identity: ${file} is open to other users (mode ${(mode & 0o777).toString(8)}): chmod 600 it, as ssh asks`);
    const key = readFileSync(fd, "utf8");
    if (hasPassphrase(key)) throw new UsageError(`--identity: ${file} has a passphrase: load it into your agent (ssh-add) and leave out --identity`);
    return key;
  } finally {
    closeSync(fd);
  }
}

/** Whether a private key is encrypted: PEM says so in a header; OpenSSH's format names its cipher. */
function hasPassphrase(key: string): boolean {
  if (/Proc-Type: 4,ENCRYPTED|BEGIN ENCRYPTED PRIVATE KEY/.test(key)) return true;
  const body = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(key)?.[1];
  if (body === undefined) return false;
  const bytes = Buffer.from(body.replace(/\s/g, ""), "base64");
  const magic = "openssh-key-v1\0";
  if (bytes.subarray(0, magic.length).toString("latin1") !== magic || bytes.length < magic.length + 4) return false;
  const length = bytes.readUInt32BE(magic.length);
  return bytes.subarray(magic.length + 4, magic.length + 4 + length).toString("latin1") !== "none";
}

/** Writes `text` to `file`: only a regular file of this user's, never through a symbolic link. */
export function writeOut(file: string, text: string): void {
  const fd = openOwnFile("--out", file, { write: true, refused: ": not written" });
  try {
    ftruncateSync(fd, 0);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}
