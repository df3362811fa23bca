// A provider killed (-9) while it connects: its key and passphrase must not be left on disk, and
// nothing that holds them may outlive it. The provider runs as its own node process (the built
// package), connecting to a host that never answers, so the kill lands during the connection setup.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { choosePrivateFolder } from "../../provider/exec/privateFolder";
import { repoRoot } from "../support/engine";
import { unlessGone } from "../support/netns";
import { startSshHosts, type SshHosts } from "../support/sshHosts";

let lab: SshHosts;
let runtimeDir: string;
/** The killed provider's setup folder (`k-<pid>-...` in its private folder), in its processes' arguments. */
let setupMark: string | undefined;
beforeAll(async () => {
  lab = await startSshHosts(1, path.join(repoRoot, ".work"));
}, 60_000);
afterAll(async () => {
  await lab?.stop();
});
beforeEach(() => {
  runtimeDir = mkdtempSync(path.join(tmpdir(), "pi2-killed-"));
});
afterEach(async () => {
  // What the killed provider left (its ssh still trying to connect, with no key to offer now; an
  // agent, when the test fails) is ended here.
  for (const mark of [runtimeDir, setupMark]) if (mark !== undefined) await execa("pkill", ["-f", mark], { reject: false });
  setupMark = undefined;
  rmSync(runtimeDir, { recursive: true, force: true });
});

/** Every file below `dir`, with its text. */
function filesBelow(dir: string): { file: string; text: string }[] {
  // The folders are this machine's: the processes of a file running beside this one add and remove
  // files in them meanwhile, and a file gone before it is read held nothing of this test's.
  const found: { file: string; text: string }[] = [];
  const walk = (folder: string) => {
    for (const entry of unlessGone(() => readdirSync(folder, { withFileTypes: true })) ?? []) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(file);
      const text = entry.isFile() ? unlessGone(() => readFileSync(file, "latin1")) : undefined;
      if (text !== undefined) found.push({ file, text });
    }
  };
  walk(dir);
  return found;
}

// A kill -9 of the provider alone; or a signal to its whole process group, as a terminal's Ctrl-\\ or
// Ctrl-C sends, or a supervisor stopping it: background children of a shell ignore SIGINT and SIGQUIT
// unless they say otherwise, so those must not leave the agent behind either.
const kills = [
  { signal: "SIGKILL", group: false },
  { signal: "SIGQUIT", group: true },
  { signal: "SIGINT", group: true },
  { signal: "SIGTERM", group: true },
  { signal: "SIGHUP", group: true },
] as const;

describe("a provider killed while it connects", () => {
  it.each(kills)("$signal to the provider (its process group: $group) leaves neither the key nor the passphrase on disk, nor an agent holding them", async ({ signal, group }) => {
    const { key, passphrase } = lab.lockedKey;
    const keyBody = key.split("\n")[2] ?? "";
    expect(keyBody.length).toBeGreaterThan(20);
    // 10.90.9.9 is on the hosts' switch but nobody answers there: ssh waits out its connect timeout.
    const connection = { type: "ssh", host: "10.90.9.9", privateKey: key, privateKeyPassphrase: passphrase, sshConfigFile: lab.sshConfigFile, connectTimeoutSeconds: 30 };
    const script = `
      const { netNamespaceHandlers: h } = require(${JSON.stringify(path.join(repoRoot, "dist", "provider", "resources", "netNamespace.js"))});
      (async () => {
        const { inputs } = await h.check({}, { name: "never", connection: JSON.parse(process.env.CONNECTION) });
        await h.create(inputs);
      })();`;
    // The connection goes in through the environment of this test's child only (the provider itself
    // passes no secret to its own children).
    const provider = execa("node", ["-e", script], {
      env: { XDG_RUNTIME_DIR: runtimeDir, TMPDIR: runtimeDir, CONNECTION: JSON.stringify(connection), PATH: process.env.PATH ?? "" },
      extendEnv: false,
      reject: false,
      detached: group, // a process group of its own, to signal as a whole
    });
    // Where the provider keeps its setup: the private folder it chooses (root's is /run/pulumi-iproute2),
    // in it a folder named for its pid.
    const privateFolder = choosePrivateFolder({ uid: process.getuid?.() ?? 0, runDir: "/run", runtimeDir, tmpDir: runtimeDir, warn: () => undefined });
    setupMark = path.join(privateFolder, `k-${provider.pid}-`);
    // Killed once its ssh is trying to connect (the key is loaded by then).
    let connecting = false;
    for (let waited = 0; waited < 15_000 && !connecting; waited += 100) {
      const { stdout } = await execa("ps", ["-eo", "args="]);
      connecting = stdout.split("\n").some((line) => line.startsWith("ssh -M") && line.includes("10.90.9.9") && line.includes(setupMark ?? ""));
      if (!connecting) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(connecting).toBe(true);
    expect(provider.pid).toBeGreaterThan(1); // never -0 or -1: the test's own group, or every process
    if (group) process.kill(-(provider.pid ?? 0), signal);
    else provider.kill(signal);
    await provider;
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const leaks = [runtimeDir, privateFolder].flatMap(filesBelow).filter(({ text }) => text.includes(keyBody) || text.includes(passphrase));
    expect(leaks.map((l) => l.file)).toEqual([]);
    const { stdout } = await execa("ps", ["-eo", "args="]);
    expect(stdout.split("\n").filter((line) => line.includes("ssh-agent") && line.includes(setupMark ?? ""))).toEqual([]);
  }, 60_000);
});
