// The private folder of the SSH control sockets and the masters' setup. Its name should be the same
// for every provider process of a user, so the next command reuses a master (ControlPersist); but a
// predictable name in a shared folder can be made first by another local user, to answer as our
// master on the socket we expect. So it goes where no one else can make it when there is such a
// place, and a taken name is never the end: a fresh folder of an unpredictable name is made instead.
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { Iproute2Error } from "./errors";

/**
 * The longest folder path: a control socket's path must fit 108 bytes (with its NUL), and it is the
 * folder, `/<16 hex>.sock` and, while ssh binds it, a 17-character random suffix.
 */
const longestFolder = 107 - "/0123456789abcdef.sock".length - ".0123456789abcdef".length;

/** ssh expands % and splits at spaces in the options this path is pasted into: plain characters only. */
const plainPath = /^[A-Za-z0-9._/+-]+$/;

export interface FolderPlaces {
  uid: number;
  /** Root's first choice goes below this (/run: root's own, no one else can make a name in it). */
  runDir?: string;
  /** $XDG_RUNTIME_DIR, used when it is really ours. */
  runtimeDir?: string;
  /** The temp folder (os.tmpdir()). */
  tmpDir: string;
  /** Says why the usual folder was passed over. */
  warn: (line: string) => void;
}

/**
 * Where the sockets go, first that holds: for root, /run/pulumi-iproute2; `$XDG_RUNTIME_DIR/pi2ssh-<uid>`
 * when that folder is really ours (`sudo -E` and `su` keep another user's); `<tmp>/pi2ssh-<uid>`; and
 * when that name is taken by something that is not our private folder, a fresh `<tmp>/pi2ssh-<uid>-XXXXXX`
 * (this process's alone: it is removed when the process exits).
 */
export function choosePrivateFolder(places: FolderPlaces): string {
  const { uid, runDir, runtimeDir, tmpDir, warn } = places;
  if (uid === 0 && runDir !== undefined && isPrivateFolder(runDir, 0, 0o022)) {
    const dir = path.join(runDir, "pulumi-iproute2");
    if (usable(dir) && ownFolder(dir, uid) === undefined) return dir;
  }
  if (runtimeDir !== undefined && path.isAbsolute(runtimeDir) && isPrivateFolder(runtimeDir, uid, 0o077)) {
    const dir = path.join(runtimeDir, `pi2ssh-${uid}`);
    if (usable(dir) && ownFolder(dir, uid) === undefined) return dir;
  }
  checkTempFolder(tmpDir, uid);
  const dir = path.join(tmpDir, `pi2ssh-${uid}`);
  const problem = ownFolder(dir, uid);
  if (problem === undefined) return dir;
  const fresh = mkdtempSync(`${dir}-`); // mode 0700, a name no one could guess
  process.once("exit", () => rmSync(fresh, { recursive: true, force: true }));
  warn(`pulumi-iproute2: ${dir} ${problem} (another user may have made it): using ${fresh}, this process's alone, instead`);
  return fresh;
}

/** A folder of `uid` (not a symlink) that no one else can write to (mode has none of `forbidden`). */
function isPrivateFolder(dir: string, uid: number, forbidden: number): boolean {
  const info = lstatSync(dir, { throwIfNoEntry: false });
  return info !== undefined && info.isDirectory() && info.uid === uid && (info.mode & forbidden) === 0;
}

const usable = (dir: string) => dir.length <= longestFolder && plainPath.test(dir);

/**
 * Makes `dir` (mode 0700) unless it is there, and says what is wrong with it if it is not a real
 * folder of `uid` with mode 0700; undefined when it is one.
 */
function ownFolder(dir: string, uid: number): string | undefined {
  try {
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, 0o700); // whatever the umask
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EEXIST") return `could not be made (${code ?? String(error)})`;
  }
  const found = lstatSync(dir);
  if (found.isSymbolicLink()) return "is a symlink";
  if (!found.isDirectory()) return "is not a folder";
  if (found.uid !== uid) return `is owned by uid ${found.uid}`;
  if ((found.mode & 0o777) !== 0o700) return `has mode ${(found.mode & 0o777).toString(8)}, not 700`;
  return undefined;
}

/**
 * The temp folder, where the last two choices go: no one else may rename things in it (ours or
 * root's, and not writable by others unless sticky, like /tmp), and its paths must suit ssh.
 */
function checkTempFolder(base: string, uid: number): void {
  const found = lstatSync(base, { throwIfNoEntry: false });
  const problem = !found?.isDirectory()
    ? "is not a folder"
    : found.uid !== uid && found.uid !== 0
      ? `belongs to uid ${found.uid}`
      : (found.mode & 0o022) !== 0 && (found.mode & 0o1000) === 0
        ? "is writable by others and not sticky"
        : !plainPath.test(base)
          ? "has characters ssh would expand (only letters, digits and . _ / + -)"
          : base.length + "/pi2ssh-4294967295-XXXXXX".length > longestFolder
            ? "is too long a path for a socket (108 bytes)"
            : undefined;
  if (problem) {
    throw new Iproute2Error(
      "permission",
      { verb: "use", object: `the temporary folder ${base}`, host: "localhost" },
      `it ${problem}, so the SSH control sockets cannot be kept private there`,
      "Point TMPDIR (or XDG_RUNTIME_DIR) at a folder only you can write",
    );
  }
}
