// `pulumi-iproute2 scan` as a user runs it: a host laid out by hand with `ip` (in namespaces of this
// run), scanned with `npx pulumi-iproute2 scan`, and the program it wrote run with the plain CLI: the
// first `pulumi up` adopts everything and changes nothing, the next preview expects no changes, and
// destroy removes exactly what was scanned. Then the same over SSH, and the errors a user can meet.
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CliStack } from "../support/cliStack";
import { repoRoot } from "../support/engine";
import { ip, ipJson, listNamespaces, World } from "../support/netns";
import { layoutSnapshot, projectWith, scanCli } from "../support/scanned";
import { startSshHosts, type SshHost, type SshHosts } from "../support/sshHosts";

/** The `new X(...)` statement of the resource whose `name` is `name`. */
function resourceBlock(program: string, name: string): string {
  const block = program.split("\n\n").find((b) => b.includes(`\n  name: "${name}",\n`));
  if (!block) throw new Error(`the program has no resource named ${name}`);
  return block;
}

/** The resource name the program gives the resource whose `name` is `name`. */
const resourceNameOf = (program: string, name: string) => /new \w+\("([^"]+)"/.exec(resourceBlock(program, name))?.[1];

const stdoutOf = async (...args: string[]) => (await ip(...args)).stdout;

/** The stack of a scanned program in its own copy of the test project. */
async function scannedStack(program: string, label: string) {
  const project = projectWith(program);
  const stack = await CliStack.init(project.dir, `${inject("runId")}-${label}`, inject("engineEnv"));
  return {
    stack,
    async dispose() {
      await stack.dispose();
      project.remove();
    },
  };
}

/**
 * The layout the issue lists, made by hand: a veth pair in `lab` (the parent; one end addressed), macvlan
 * children in bridge, private, vepa and source mode, a macvtap whose node belongs to nobody, IPv4 and
 * IPv6 addresses, a route added by hand and one a DHCP client owns, children whose parent is in another
 * namespace, a veth pair across two namespaces, a bridge with STP on whose port is the vepa child, and a
 * vxlan on the pair's addressed end with a flood list.
 */
async function layOut(run: (...args: string[]) => Promise<unknown>, lab: string, ns1: string, ns2: string) {
  await run("-n", lab, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1");
  await run("-n", lab, "addr", "add", "10.83.0.254/24", "dev", "veth1");
  await run("-n", lab, "link", "set", "veth0", "up");
  await run("-n", lab, "link", "set", "veth1", "up");
  await run("-n", lab, "link", "add", "link", "veth0", "name", "mac1", "netns", ns1, "type", "macvlan", "mode", "bridge");
  await run("-n", ns1, "addr", "add", "10.83.0.1/24", "dev", "mac1");
  await run("-n", ns1, "addr", "add", "fd83::1/64", "dev", "mac1", "nodad");
  await run("-n", ns1, "link", "set", "mac1", "up");
  await run("-n", ns1, "route", "add", "10.84.0.0/16", "via", "10.83.0.254", "dev", "mac1");
  await run("-n", ns1, "route", "add", "10.85.0.0/16", "via", "10.83.0.254", "dev", "mac1", "proto", "dhcp");
  await run("-n", lab, "link", "add", "link", "veth0", "name", "mac2", "netns", ns2, "mtu", "1400", "type", "macvlan", "mode", "private");
  await run("-n", ns2, "addr", "add", "10.83.0.2/24", "dev", "mac2");
  await run("-n", ns2, "link", "set", "mac2", "up");
  await run("-n", lab, "link", "add", "link", "veth0", "name", "vep0", "type", "macvlan", "mode", "vepa");
  await run("-n", lab, "link", "add", "link", "veth0", "name", "src0", "type", "macvlan", "mode", "source", "macaddr", "add", "02:83:00:00:00:01");
  await run("-n", lab, "link", "set", "src0", "up");
  await run("-n", lab, "link", "add", "link", "veth0", "name", "tap0", "type", "macvtap", "mode", "bridge");
  await run("-n", lab, "link", "set", "tap0", "up");
  await run("-n", ns1, "link", "add", "x1", "type", "veth", "peer", "name", "x2", "netns", ns2);
  await run("-n", ns1, "addr", "add", "10.86.0.1/30", "dev", "x1");
  await run("-n", ns2, "addr", "add", "10.86.0.2/30", "dev", "x2");
  await run("-n", ns1, "link", "set", "x1", "up");
  await run("-n", ns2, "link", "set", "x2", "up");
  await run("-n", lab, "link", "add", "br0", "type", "bridge", "stp_state", "1", "forward_delay", "500");
  await run("-n", lab, "link", "set", "vep0", "master", "br0");
  await run("-n", lab, "link", "add", "vx0", "type", "vxlan", "id", "83", "dstport", "4789", "local", "10.83.0.254", "dev", "veth1", "nolearning");
  await run("-n", lab, "link", "set", "vx0", "up");
}

describe("scan, then the scanned program with the plain Pulumi CLI", () => {
  const world = new World();
  let lab: string, ns1: string, ns2: string;
  let program: string;
  let tapNode: string;
  let before: Awaited<ReturnType<typeof layoutSnapshot>>;
  let scanned: Awaited<ReturnType<typeof scannedStack>> | undefined;

  beforeAll(async () => {
    lab = await world.netns("lab");
    ns1 = await world.netns("ns1");
    ns2 = await world.netns("ns2");
    await layOut(ip, lab, ns1, ns2);
    await execa("bridge", ["-n", lab, "fdb", "append", "00:00:00:00:00:00", "dev", "vx0", "dst", "10.83.0.9"]);
    const [tap] = await ipJson<{ ifindex: number }[]>("-n", lab, "link", "show", "tap0");
    tapNode = `/dev/tap${tap?.ifindex}`;
    // The node of a VM's macvtap, given to the VM's user.
    await execa("chown", ["nobody:nogroup", tapNode]);
    await execa("chmod", ["0660", tapNode]);
    // mac1 announces (as a host set up by hand may), the others do not.
    await execa("ip", ["netns", "exec", ns1, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/conf/mac1/arp_notify; echo 1 > /proc/sys/net/ipv6/conf/mac1/ndisc_notify"]);
    before = await layoutSnapshot(stdoutOf, [lab, ns1, ns2]);
  });
  afterAll(async () => {
    await scanned?.dispose();
    await world.cleanup();
  });

  it("writes a program that adopts each namespace, pair and child, refers to what each depends on, and lists what it leaves", async () => {
    const scan = await scanCli(["scan", "--netns", lab, "--netns", ns1, "--netns", ns2]);
    expect(scan.stderr).toContain(`scanned netns "${ns1}": 3 link(s)`);
    expect(scan.stderr.split("\n").filter((l) => l.startsWith("scanned "))).toHaveLength(3);
    expect(scan.exitCode, scan.stderr).toBe(0);
    program = scan.stdout;
    // 3 namespaces, a bridge, 2 pairs, 4 macvlans, a macvtap and a vxlan.
    expect(program.match(/new NetNamespace\(/g)).toHaveLength(3);
    expect(program.match(/new Bridge\(/g)).toHaveLength(1);
    expect(program.match(/new VethPair\(/g)).toHaveLength(2);
    expect(program.match(/new MacvlanLink\(/g)).toHaveLength(4);
    expect(program.match(/new Macvtap\(/g)).toHaveLength(1);
    expect(program.match(/new Vxlan\(/g)).toHaveLength(1);
    expect(program.match(/^ {2}adopt: true,$/gm)).toHaveLength(12);
    expect(resourceBlock(program, "vx0")).toMatch(/vni: 83,\n\s+local: "10\.83\.0\.254",\n\s+dstPort: 4789,\n\s+underlay: \w+\.peerName,\n\s+learning: false,\n\s+remotes: \["10\.83\.0\.9"\],/);
    // References, not literals, where one resource depends on another.
    const mac1 = resourceBlock(program, "mac1");
    expect(mac1).toMatch(/parent: \w+\.(name|peerName),\n\s+parentNetns: \w+\.name,\n\s+netns: \w+\.name,/);
    expect(mac1).toContain('routes: [{ to: "10.84.0.0/16", via: "10.83.0.254" }]');
    expect(mac1).toContain('addresses: ["10.83.0.1/24", "fd83::1/64"]');
    expect(mac1).not.toContain("announce: false");
    // The bridge as it is (its MAC and MTU left to follow its port), before its port, which refers to it.
    expect(resourceBlock(program, "br0")).toMatch(/stp: true,\n\s+forwardDelay: 5,\n\s+up: false,/);
    expect(program.indexOf("new Bridge(")).toBeLessThan(program.indexOf('name: "vep0"'));
    expect(resourceBlock(program, "vep0")).toMatch(/\n\s+master: \w+\.name,\n/);
    // Comments read as one line each, however they are wrapped.
    const comments = program.replace(/\n\/\/ {1,3}/g, " ");
    expect(comments).toContain("route 10.84.0.0/16 via 10.83.0.254 dev mac1 proto boot was added by hand: adopting replaces it in place as proto static");
    expect(program).toContain('mode: "source",\n  sourceMacs: ["02:83:00:00:00:01"]');
    expect(program).toContain('tapOwner: "nobody",\n  tapGroup: "nogroup",\n  tapMode: "0660"');
    expect(program).toContain('mtu: 1400');
    // What it leaves, and why.
    expect(comments).toContain(`- route 10.85.0.0/16 via 10.83.0.254 dev mac1 proto dhcp in netns "${ns1}": made by dhcp, which keeps it (not taken over)`);
  });

  it("with --host, reads the host's own namespace too, and manages nothing of the machine's own", async () => {
    const scan = await scanCli(["scan", "--host", "--netns", lab]);
    expect(scan.exitCode, scan.stderr).toBe(0);
    expect(scan.stderr.split("\n")[0]).toMatch(/^scanned the host's namespace: \d+ link\(s\)/);
    expect(scan.stdout).not.toContain('name: "eth0"');
    expect(scan.stdout.replace(/\n\/\/ {1,3}/g, " ")).toMatch(/- \S+ eth0 in the host's namespace[^\n]*: (not a kind this package manages|its peer cannot be found)/);
    expect(scan.stdout.match(/new NetNamespace\(/g)).toHaveLength(1);
  });

  it("writes --out, but never through a symbolic link", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "pi2-out-"));
    try {
      const target = path.join(dir, "index.ts");
      const written = await scanCli(["scan", "--netns", lab, "--format", "mermaid", "--out", target]);
      expect(written.exitCode, written.stderr).toBe(0);
      expect(readFileSync(target, "utf8")).toMatch(/^flowchart LR\n/);
      symlinkSync("/etc/hostname", path.join(dir, "planted.ts"));
      const refused = await scanCli(["scan", "--netns", lab, "--out", path.join(dir, "planted.ts")]);
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toContain("it is a symbolic link");
      expect(readFileSync("/etc/hostname", "utf8")).not.toContain("pulumi");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("adopts with the plain CLI and changes nothing; the next preview expects no changes; destroy removes exactly what was scanned", async () => {
    scanned = await scannedStack(program, "scanned");
    const { stack } = scanned;
    const up = await stack.pulumi(["up", "--yes"]);
    expect(up.exitCode, up.stdout + up.stderr).toBe(0);
    expect((await stack.lastUpdate()).resourceChanges).toEqual({ create: 13 }); // with the stack itself
    const after = await layoutSnapshot(stdoutOf, [lab, ns1, ns2]);
    // The one difference, which the program says: the route added by hand is now marked as ours.
    const taken = (routes: string[]) => routes.map((r) => r.replace("10.84.0.0/16 via 10.83.0.254 dev mac1 proto boot", "10.84.0.0/16 via 10.83.0.254 dev mac1 proto static"));
    expect(after).toEqual({ ...before, [ns1]: { ...before[ns1], routes: taken(before[ns1]!.routes) } });
    expect(after[ns1]!.routes).toContain("10.84.0.0/16 via 10.83.0.254 dev mac1 proto static metric 0");
    expect(after[ns1]!.routes).toContain("10.85.0.0/16 via 10.83.0.254 dev mac1 proto dhcp metric 0");
    expect((await execa("stat", ["-c", "%U:%G %a", tapNode])).stdout).toBe("nobody:nogroup 660");

    const unchanged = await stack.pulumi(["preview", "--expect-no-changes"]);
    expect(unchanged.exitCode, unchanged.stdout + unchanged.stderr).toBe(0);
    const refreshed = await stack.pulumi(["refresh", "--yes", "--expect-no-changes"]);
    expect(refreshed.exitCode, refreshed.stdout + refreshed.stderr).toBe(0);

    const destroyed = await stack.pulumi(["destroy", "--yes"]);
    expect(destroyed.exitCode, destroyed.stdout + destroyed.stderr).toBe(0);
    expect((await listNamespaces()).filter((n) => [lab, ns1, ns2].includes(n))).toEqual([]);
  });
});

// A container's root can name its links with any bytes but "/", ":" and white space: a right-to-left
// override that makes a name read backwards, an ANSI escape. The scan still reads the namespace, and what
// it writes holds them only as escapes, in printable ASCII (Trojan Source).
describe("scan of links named to mislead", () => {
  const world = new World();
  afterAll(async () => world.cleanup());

  it("writes the program and the diagram in printable ASCII, each name's odd characters escaped", async () => {
    const odd = await world.netns("odd");
    await ip("-n", odd, "link", "add", "va", "type", "veth", "peer", "name", "vb");
    await ip("-n", odd, "link", "set", "dev", "va", "name", "r\u202eab");
    await ip("-n", odd, "link", "set", "dev", "vb", "name", "e\u001b[2Jx");
    // The kernel took both names as they are (ip -j would print the escape raw: no JSON for JSON.parse).
    for (const name of ["r\u202eab", "e\u001b[2Jx"]) expect((await ip("-n", odd, "-o", "link", "show", "dev", name)).stdout).toContain(`: ${name}@`);

    const program = await scanCli(["scan", "--netns", odd]);
    expect(program.exitCode, program.stderr).toBe(0);
    expect(program.stdout).toMatch(/^[\x20-\x7e\n]+$/);
    const comments = program.stdout.replace(/\n\/\/ {1,3}/g, " ");
    expect(comments).toContain(`veth r\\u202eab in netns "${odd}"`);
    expect(comments).toContain("e\\u001b[2Jx");

    const diagram = await scanCli(["scan", "--netns", odd, "--format", "mermaid"]);
    expect(diagram.exitCode, diagram.stderr).toBe(0);
    expect(diagram.stdout).toMatch(/^[\x20-\x7e\n]+$/);
    expect(diagram.stdout).toContain('["r#8238;ab<br/>veth"]');
    expect(diagram.stdout).toContain('["e#27;[2Jx<br/>veth"]');
  });
});

// What a stack made carries its owner's mark (a link's alias; a namespace's on its lo), set here by hand
// as the resources set it. The scan leaves it to that stack: listed under its owner, not adopted; with
// --stack, that stack's are written as the resources their marks name, without adopt (a lost state's
// program rebuilt), and only the others listed.
describe("scan of what stacks marked", () => {
  const world = new World();
  const project = "iproute2-scanned"; // the test project's name: the program written runs there
  let stackName: string;
  let lab: string;
  let scanned: Awaited<ReturnType<typeof scannedStack>> | undefined;
  const marked = (owner: string) => `pulumi-iproute2:${owner}`;
  const aliasOf = async (name: string) => (await ipJson<{ ifalias?: string }[]>("-n", lab, "link", "show", "dev", name))[0]?.ifalias;

  beforeAll(async () => {
    stackName = `${inject("runId")}-marked`;
    const ours = (kind: string, name: string) => marked(`${project}/${stackName}/${kind}/${name}`);
    lab = await world.netns("marked");
    await ip("-n", lab, "link", "set", "lo", "alias", ours("NetNamespace", "lab"));
    await ip("-n", lab, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1");
    for (const end of ["veth0", "veth1"]) await ip("-n", lab, "link", "set", "dev", end, "alias", ours("VethPair", "pair"));
    await ip("-n", lab, "link", "add", "link", "veth0", "name", "web0", "type", "macvlan", "mode", "bridge");
    await ip("-n", lab, "link", "set", "dev", "web0", "alias", ours("MacvlanLink", "web"));
    await ip("-n", lab, "link", "add", "link", "veth0", "name", "db0", "type", "macvlan", "mode", "bridge");
    await ip("-n", lab, "link", "set", "dev", "db0", "alias", marked("shop/prod/MacvlanLink/db"));
    await ip("-n", lab, "link", "add", "link", "veth0", "name", "mine", "type", "macvlan", "mode", "bridge");
    await ip("-n", lab, "link", "set", "dev", "mine", "alias", "my own description");
  });
  afterAll(async () => {
    await scanned?.dispose();
    await world.cleanup();
  });

  it("lists them under their owner, and writes only what carries no mark", async () => {
    const scan = await scanCli(["scan", "--netns", lab]);
    expect(scan.exitCode, scan.stderr).toBe(0);
    const program = scan.stdout;
    expect(program).not.toContain("new NetNamespace(");
    expect(program).not.toContain("new VethPair(");
    expect(program.match(/new MacvlanLink\(/g)).toHaveLength(1);
    expect(resourceBlock(program, "mine")).toContain("adopt: true,");
    expect(program).toContain(`// owned by ${project}/${stackName}:\n//   - NetNamespace lab: netns "${lab}"\n//   - VethPair pair: veth pair veth0 in netns "${lab}" and veth1 in netns "${lab}"\n//   - MacvlanLink web: macvlan web0 in netns "${lab}"\n`);
    expect(program).toContain(`// owned by shop/prod:\n//   - MacvlanLink db: macvlan db0 in netns "${lab}"\n`);

    const diagram = await scanCli(["scan", "--netns", lab, "--format", "mermaid"]);
    expect(diagram.exitCode, diagram.stderr).toBe(0);
    expect(diagram.stdout).toContain(`["web0<br/>macvlan bridge<br/>owned by ${project}/${stackName}/MacvlanLink/web"]`);
    expect(diagram.stdout).toContain(`["netns ${lab}, owned by ${project}/${stackName}/NetNamespace/lab"]`);
  });

  it("with --stack, writes that stack's as the resources their marks name, without adopt, and lists the others'", async () => {
    const scan = await scanCli(["scan", "--netns", lab, "--stack", `${project}/${stackName}`]);
    expect(scan.exitCode, scan.stderr).toBe(0);
    const program = scan.stdout;
    expect(program.replace(/\n\/\/ {1,3}/g, " ")).toContain(`run this program as stack ${stackName} of project ${project}`);
    expect(program).toMatch(/new NetNamespace\("lab", \{\n {2}name: "[^"]+",\n\}\);/);
    expect(program).toMatch(/new VethPair\("pair", \{\n {2}name: "veth0",/);
    expect(program).toMatch(/new MacvlanLink\("web", \{\n {2}name: "web0",/);
    for (const name of ["veth0", "web0"]) expect(resourceBlock(program, name)).not.toContain("adopt");
    expect(resourceBlock(program, "mine")).toContain("adopt: true,");
    expect(program).not.toContain('name: "db0"');
    expect(program).toContain(`// owned by shop/prod:\n//   - MacvlanLink db: macvlan db0 in netns "${lab}"\n`);

    // Run as that stack with the plain CLI: its first up resumes what the marks say it made, adopts the
    // rest, and changes nothing but the alias of the one adopted; the next preview expects no changes.
    const before = await layoutSnapshot(stdoutOf, [lab]);
    scanned = await scannedStack(program, "marked");
    const up = await scanned.stack.pulumi(["up", "--yes"]);
    expect(up.exitCode, up.stdout + up.stderr).toBe(0);
    expect((await scanned.stack.lastUpdate()).resourceChanges).toEqual({ create: 5 }); // with the stack itself
    for (const resumed of [`NetNamespace "${lab}"`, 'VethPair "veth0"', 'MacvlanLink "web0"']) expect(up.stdout + up.stderr).toContain(`resuming the create of ${resumed} cut off earlier`);
    expect(await layoutSnapshot(stdoutOf, [lab])).toEqual(before);
    expect(await aliasOf("web0")).toBe(marked(`${project}/${stackName}/MacvlanLink/web`));
    expect(await aliasOf("db0")).toBe(marked("shop/prod/MacvlanLink/db"));
    expect(await aliasOf("mine")).toBe(marked(`${project}/${stackName}/MacvlanLink/${resourceNameOf(program, "mine")}`));
    const unchanged = await scanned.stack.pulumi(["preview", "--expect-no-changes"]);
    expect(unchanged.exitCode, unchanged.stdout + unchanged.stderr).toBe(0);
  });
});

describe("scan errors: a clear message and a non-zero exit code", () => {
  it("names a namespace that does not exist, and the ones that do", async () => {
    const run = await scanCli(["scan", "--netns", `${inject("runId")}-nosuch`]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(`no such namespace on localhost: "${inject("runId")}-nosuch" (`);
    expect(run.stdout).toBe("");
  });

  it("says a namespace needs root when run as another user", async () => {
    const world = new World();
    try {
      // Two namespaces, read at the same time: the first failure is the one reported, and the other's
      // is handled (no unhandled rejection, no stack trace).
      const ns = await world.netns("perm");
      const other = await world.netns("perm2");
      const cli = path.join(repoRoot, "test/projects/scanned/node_modules/pulumi-iproute2/dist/provider/cli.js");
        const run = await execa("runuser", ["-u", "nobody", "--", process.execPath, cli, "scan", "--netns", ns, "--netns", other], { reject: false, cwd: "/" });
      expect(run.exitCode, String(run.stderr)).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`^pulumi-iproute2: no permission to read netns "${ns}" on localhost .*entering a namespace needs root; run as root, or with --sudo\n?$`));
    } finally {
      await world.cleanup();
    }
  });

  it("says a host cannot be reached", async () => {
    const run = await scanCli(["scan", "--ssh", "root@127.0.0.1:1", "--known-hosts", "/dev/null"]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/cannot reach root@127\.0\.0\.1:1: .*Connection refused/);
  });

  it("refuses bad usage before reading anything, naming the flag (exit code 2)", async () => {
    for (const [args, message] of [
      [["scan", "--format", "yaml"], '--format: must be ts or mermaid, not "yaml"'],
      [["scan", "--ssh", "-oProxyCommand=x"], "--ssh"],
      [["scan", "--ssh=-oProxyCommand=x"], "--ssh: must be [user@]host[:port]"],
      [["scan", "--identity", "/nonexistent"], "--identity needs --ssh"],
      [["scan", "--ssh", "h", "--host-key", "nope"], '--host-key: must be a key in authorized_keys form'],
      [["scan", "--bogus"], "Unknown option '--bogus'"],
      [["scan", "--stack", "proj"], '--stack: must be <project>/<stack>'],
      [["scan", "--stack", "org/proj/dev"], '--stack: must be <project>/<stack>'],
      [["frobnicate"], 'unknown command "frobnicate"'],
    ] as const) {
      const run = await scanCli([...args]);
      expect(run.exitCode, `${args.join(" ")}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(message);
    }
  });
});

describe("scan over SSH, then the program over SSH", () => {
  let hosts: SshHosts;
  let host: SshHost;
  let keyDir: string;
  let scanned: Awaited<ReturnType<typeof scannedStack>> | undefined;
  const inside = (...args: string[]) => host.exec("ip", ...args);

  beforeAll(async () => {
    hosts = await startSshHosts(1, path.join(repoRoot, ".work"));
    host = hosts.hosts[0]!;
    for (const ns of ["lab", "ns1", "ns2"]) await inside("netns", "add", ns);
    await layOut(inside, "lab", "ns1", "ns2");
    keyDir = mkdtempSync(path.join(os.tmpdir(), "pi2-key-"));
    writeFileSync(path.join(keyDir, "id"), hosts.clientKey, { mode: 0o600 });
    chmodSync(path.join(keyDir, "id"), 0o600);
  });
  afterAll(async () => {
    await scanned?.dispose();
    rmSync(keyDir, { recursive: true, force: true });
    await hosts?.stop();
  });

  it("scans the simulated host through the same transport, and its program adopts it there, changing nothing", async () => {
    const scan = await scanCli(["scan", "--ssh", `root@${host.address}`, "--identity", path.join(keyDir, "id"), "--ssh-config", hosts.sshConfigFile]);
    expect(scan.exitCode, scan.stderr).toBe(0);
    expect(scan.stderr).toContain('scanned netns "ns1"');
    const program = scan.stdout;
    expect(program).toContain(`host: "${host.address}",\n  user: "root",\n  privateKey: config.requireSecret("sshPrivateKey"),\n  sshConfigFile: "${hosts.sshConfigFile}",`);
    expect(program).not.toContain(hosts.clientKey.split("\n")[2]);
    expect(program.match(/^ {2}connection,$/gm)).toHaveLength(12);

    const before = await layoutSnapshot(inside, ["lab", "ns1", "ns2"]);
    scanned = await scannedStack(program, "scanned-ssh");
    await scanned.stack.setSecret("sshPrivateKey", hosts.clientKey);
    const up = await scanned.stack.pulumi(["up", "--yes"]);
    expect(up.exitCode, up.stdout + up.stderr).toBe(0);
    const after = await layoutSnapshot(inside, ["lab", "ns1", "ns2"]);
    expect(after.lab).toEqual(before.lab);
    expect(after.ns2).toEqual(before.ns2);
    expect(after.ns1?.links).toEqual(before.ns1?.links);
    const unchanged = await scanned.stack.pulumi(["preview", "--expect-no-changes"]);
    expect(unchanged.exitCode, unchanged.stdout + unchanged.stderr).toBe(0);
    const destroyed = await scanned.stack.pulumi(["destroy", "--yes"]);
    expect(destroyed.exitCode, destroyed.stdout + destroyed.stderr).toBe(0);
    expect(await host.exec("ip", "netns", "list")).toBe("");
  });
});
