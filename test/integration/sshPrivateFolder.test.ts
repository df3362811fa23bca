// The folder of control sockets and key files has a predictable name. Another local user (here the
// real `nobody`) who makes it first could serve as our master on the socket we expect and read or
// forge every request: such a folder is refused, with an error that says what is wrong with it, and
// nothing is sent anywhere.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeSshMasters } from "../../provider/exec/ssh";
import { netNamespaceHandlers } from "../../provider/resources/netNamespace";
import { repoRoot } from "../support/engine";
import { asTheEngine } from "../support/engineCalls";
import { startSshHosts, type SshHosts } from "../support/sshHosts";

let lab: SshHosts;
/** Shared like /tmp: anyone may make a folder in it (sticky). */
let shared: string;
const uid = process.getuid?.() ?? 0;
const envBefore = { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR, TMPDIR: process.env.TMPDIR };

beforeAll(async () => {
  lab = await startSshHosts(1, path.join(repoRoot, ".work"));
  shared = mkdtempSync(path.join(tmpdir(), "pi2-shared-"));
  chmodSync(shared, 0o1777);
}, 60_000);
afterAll(async () => {
  await closeSshMasters();
  await lab?.stop();
  rmSync(shared, { recursive: true, force: true });
  for (const [name, value] of Object.entries(envBefore)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** A create over SSH by a provider whose temp folder is `base` (read when the folder is first needed). */
const createOver = (base: string, name: string, runtimeDir?: string) => {
  process.env.TMPDIR = base;
  if (runtimeDir === undefined) delete process.env.XDG_RUNTIME_DIR;
  else process.env.XDG_RUNTIME_DIR = runtimeDir;
  return asTheEngine(netNamespaceHandlers).create({
    name,
    connection: { type: "ssh", host: lab.hosts[0]!.address, privateKey: lab.clientKey, sshConfigFile: lab.sshConfigFile },
  });
};

describe("the private folder for control sockets", () => {
  it("is refused when another user made it first", async () => {
    const base = mkdtempSync(path.join(shared, "a-"));
    chmodSync(base, 0o1777);
    await execa("runuser", ["-u", "nobody", "--", "mkdir", "-m", "0777", path.join(base, `pi2ssh-${uid}`)]);
    await expect(createOver(base, "never1")).rejects.toThrow(
      new RegExp(`use the private folder ${base}/pi2ssh-${uid} on localhost: it must be a folder of uid ${uid} with mode 0700, and it is owned by uid \\d+`),
    );
  });

  it("is refused when it is a symlink, or ours but open to others", async () => {
    const linked = mkdtempSync(path.join(shared, "b-"));
    mkdirSync(path.join(linked, "elsewhere"), { mode: 0o700 });
    symlinkSync(path.join(linked, "elsewhere"), path.join(linked, `pi2ssh-${uid}`));
    await expect(createOver(linked, "never2")).rejects.toThrow(/and it is a symlink/);

    const open = mkdtempSync(path.join(shared, "c-"));
    mkdirSync(path.join(open, `pi2ssh-${uid}`));
    chmodSync(path.join(open, `pi2ssh-${uid}`), 0o755);
    await expect(createOver(open, "never3")).rejects.toThrow(/and it is mode 755/);
    expect(await lab.hosts[0]!.exec("ip", "netns", "list")).toBe(""); // nothing was sent
  });

  it("is not put in a temp folder others can write to without the sticky bit", async () => {
    const open = mkdtempSync(path.join(shared, "e-"));
    chmodSync(open, 0o777);
    await expect(createOver(open, "never4")).rejects.toThrow(/use the temporary folder .* it is writable by others and not sticky/);
  });

  // The one create that goes through: the folder is then this process's for good, so it comes last.
  it("is made 0700 in the temp folder, not in an XDG_RUNTIME_DIR that is not ours (sudo -E keeps the caller's)", async () => {
    const theirs = mkdtempSync(path.join(shared, "f-"));
    await execa("chown", ["nobody", theirs]);
    const base = mkdtempSync(path.join(shared, "g-"));
    const made = await createOver(base, "beside", theirs);
    const { stdout } = await execa("stat", ["-c", "%u %a", path.join(base, `pi2ssh-${uid}`)]);
    expect(stdout).toBe(`${uid} 700`); // the temp folder was used instead
    expect(readdirSync(theirs)).toEqual([]);
    await netNamespaceHandlers.delete(made.id, made.outs);
  });
});
