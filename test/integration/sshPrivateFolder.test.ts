// The folder of control sockets and key files. Another local user (here the real `nobody`) who makes
// its usual name first could serve as our master on the socket we expect and read or forge every
// request: such a folder is never used. Root's folder is one no one else can make (/run); anyone's
// falls back to a fresh folder of an unpredictable name, so a squatter blocks nothing.
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { choosePrivateFolder, type FolderPlaces } from "../../provider/exec/privateFolder";
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

/** A sticky folder like /tmp, in which `nobody` has made `pi2ssh-<uid>` first. */
async function squatted(prefix: string): Promise<string> {
  const base = mkdtempSync(path.join(shared, prefix));
  chmodSync(base, 0o1777);
  await execa("runuser", ["-u", "nobody", "--", "mkdir", "-m", "0777", path.join(base, `pi2ssh-${uid}`)]);
  return base;
}

/** The choice with this process's uid, no /run, and the warnings it gives. */
function choose(places: Partial<FolderPlaces> & { tmpDir: string }) {
  const warnings: string[] = [];
  const dir = choosePrivateFolder({ uid, warn: (line) => warnings.push(line), ...places });
  return { dir, warnings };
}
const ownerAndMode = (dir: string) => {
  const info = lstatSync(dir);
  return `${info.uid} ${(info.mode & 0o7777).toString(8)}${info.isSymbolicLink() ? " symlink" : ""}`;
};

describe("the private folder for control sockets", () => {
  it("is, for root, a root-only folder under /run: a folder squatted in the temp folder blocks nothing", async () => {
    expect(uid).toBe(0);
    const base = await squatted("a-");
    process.env.TMPDIR = base;
    delete process.env.XDG_RUNTIME_DIR;
    const made = await asTheEngine(netNamespaceHandlers).create({
      name: "despite-squatter",
      connection: { type: "ssh", host: lab.hosts[0]!.address, privateKey: lab.clientKey, sshConfigFile: lab.sshConfigFile },
    });
    expect(await lab.hosts[0]!.exec("ip", "netns", "list")).toMatch(/despite-squatter/);
    expect(ownerAndMode("/run/pulumi-iproute2")).toBe("0 700");
    expect(readdirSync(path.join(base, `pi2ssh-${uid}`))).toEqual([]); // the squatter's folder was not used
    await netNamespaceHandlers.delete(made.id, made.outs);
  });

  it("under /run is made 0700, and a symlink there is not followed", () => {
    const run = mkdtempSync(path.join(shared, "run-"));
    chmodSync(run, 0o755);
    expect(choose({ runDir: run, tmpDir: shared }).dir).toBe(path.join(run, "pulumi-iproute2"));
    expect(ownerAndMode(path.join(run, "pulumi-iproute2"))).toBe("0 700");

    const linked = mkdtempSync(path.join(shared, "run-"));
    chmodSync(linked, 0o755);
    const elsewhere = mkdtempSync(path.join(shared, "elsewhere-"));
    symlinkSync(elsewhere, path.join(linked, "pulumi-iproute2"));
    const { dir } = choose({ runDir: linked, tmpDir: mkdtempSync(path.join(shared, "t-")) });
    expect(dir.startsWith(linked)).toBe(false);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it("is $XDG_RUNTIME_DIR/pi2ssh-<uid> when that folder is ours, and not when it is another user's (sudo -E keeps the caller's)", async () => {
    const ours = mkdtempSync(path.join(shared, "xdg-"));
    expect(choose({ runtimeDir: ours, tmpDir: shared }).dir).toBe(path.join(ours, `pi2ssh-${uid}`));

    const theirs = mkdtempSync(path.join(shared, "xdg-"));
    await execa("chown", ["nobody", theirs]);
    const base = mkdtempSync(path.join(shared, "t-"));
    expect(choose({ runtimeDir: theirs, tmpDir: base }).dir).toBe(path.join(base, `pi2ssh-${uid}`));
    expect(ownerAndMode(path.join(base, `pi2ssh-${uid}`))).toBe(`${uid} 700`);
    expect(readdirSync(theirs)).toEqual([]);
  });

  it("is a fresh folder of an unpredictable name when the usual one was made by another user, is a symlink, or is open to others", async () => {
    const taken = await squatted("b-");
    const linked = mkdtempSync(path.join(shared, "c-"));
    mkdirSync(path.join(linked, "elsewhere"), { mode: 0o700 });
    symlinkSync(path.join(linked, "elsewhere"), path.join(linked, `pi2ssh-${uid}`));
    const open = mkdtempSync(path.join(shared, "d-"));
    mkdirSync(path.join(open, `pi2ssh-${uid}`));
    chmodSync(path.join(open, `pi2ssh-${uid}`), 0o755);

    for (const [base, what] of [[taken, /is owned by uid \d+/], [linked, /is a symlink/], [open, /has mode 755, not 700/]] as const) {
      const { dir, warnings } = choose({ tmpDir: base });
      expect(dir).toMatch(new RegExp(`^${base}/pi2ssh-${uid}-[A-Za-z0-9]{6}$`));
      expect(ownerAndMode(dir)).toBe(`${uid} 700`);
      expect(warnings).toEqual([expect.stringMatching(what)]);
    }
    expect(readdirSync(path.join(taken, `pi2ssh-${uid}`))).toEqual([]);
    expect(ownerAndMode(path.join(linked, `pi2ssh-${uid}`))).toBe(`${uid} 777 symlink`);
  });

  it("is refused in a temp folder others can write to without the sticky bit (they could rename things in it)", () => {
    const open = mkdtempSync(path.join(shared, "e-"));
    chmodSync(open, 0o777);
    expect(() => choose({ tmpDir: open })).toThrow(/use the temporary folder .* it is writable by others and not sticky/);
  });
});
