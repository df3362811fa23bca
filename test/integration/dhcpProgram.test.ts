// The DHCP program (plan/dhcpProgram.ts) against a real DHCP server: dnsmasq in a namespace on the
// parents' segment, on addresses of our own, serving macvlan children in other namespaces. The
// tutorial's trap (a second `dhclient` in another namespace refuses to start: one PID file for all) must
// not happen: two children of the same name in two namespaces and two in one namespace hold leases at
// once, renew, and are stopped with a release the server sees. The program runs with folders of the
// test's own (a shared machine's /etc/pulumi-iproute2 is not the test's), through the local runner, as
// the plan's steps run it; systemd is not PID 1 here, so clients run under setsid.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalRunner } from "../../provider/exec/local";
import type { Command } from "../../provider/exec/runner";
import { dhcpProgram, dhcpStartCommand, dhcpStatusCommand, dhcpStopCommand, type DhcpPaths } from "../../provider/plan/dhcpProgram";
import { dhcpObserved } from "../../provider/state/dhcpLease";
import { ip, ipJson, runId, World } from "../support/netns";
import { pollUntil } from "../support/poll";

/** How long a test waits for what a DHCP exchange does (a first lease, a renewal): generous, never asserted. */
const exchangeSeconds = 30;

const runner = new LocalRunner({ type: "local", sudo: false, persist: false });

async function run(command: Command) {
  const [result] = await runner.run([command]);
  if (!result) throw new Error("no result");
  return result;
}

interface Address {
  local: string;
  prefixlen: number;
  dynamic?: boolean;
}

async function ipv4Addresses(netns: string, dev: string): Promise<Address[]> {
  const [link] = await ipJson<{ addr_info: (Address & { family: string })[] }[]>("-n", netns, "addr", "show", "dev", dev);
  return (link?.addr_info ?? []).filter((a) => a.family === "inet");
}

describe("the DHCP program with dnsmasq", () => {
  let world: World;
  let server: string;
  let lab: string;
  let nsA: string;
  let nsB: string;
  let serverFolder: string;
  let dnsmasq: ResultPromise | undefined;
  let paths: DhcpPaths;
  /** The clients this test started, each stopped at the end even when the test failed. */
  let clients: { netns: string; link: string }[];

  const leases = () => (existsSync(join(serverFolder, "leases")) ? readFileSync(join(serverFolder, "leases"), "utf8") : "");
  const serverLog = () => (existsSync(join(serverFolder, "log")) ? readFileSync(join(serverFolder, "log"), "utf8") : "");
  const status = async (netns: string, link: string) => dhcpObserved(await run(dhcpStatusCommand(netns, link, paths)), link);
  const mac = async (netns: string, link: string) => (await ipJson<{ address: string }[]>("-n", netns, "link", "show", "dev", link))[0]?.address ?? "";
  const start = async (netns: string, link: string) => {
    clients.push({ netns, link });
    return run(dhcpStartCommand(netns, link, exchangeSeconds, paths));
  };

  beforeEach(async () => {
    world = new World();
    clients = [];
    server = await world.netns("dhs");
    lab = await world.netns("dhl");
    nsA = await world.netns("dha");
    nsB = await world.netns("dhb");
    // The segment: veth0 in the lab (the children's parent), its peer srv0 in the server's namespace.
    await ip("-n", lab, "link", "add", "veth0", "type", "veth", "peer", "name", "srv0", "netns", server);
    await ip("-n", lab, "link", "set", "veth0", "up");
    await ip("-n", server, "addr", "add", "10.94.0.1/24", "dev", "srv0");
    await ip("-n", server, "link", "set", "srv0", "up");
    // The tutorial's children: mac1 in A and mac1 in B (one name, two namespaces), mac2 in A too.
    for (const [netns, name] of [[nsA, "mac1"], [nsB, "mac1"], [nsA, "mac2"]] as const) {
      await ip("-n", lab, "link", "add", "link", "veth0", "name", name, "netns", netns, "type", "macvlan", "mode", "bridge");
      await ip("-n", netns, "link", "set", name, "up");
    }
    serverFolder = mkdtempSync(join(tmpdir(), `${runId}-dnsmasq-`));
    // Its own files, no configuration file, no DNS (port 0), bound to srv0 alone; 2 minutes is its
    // shortest lease.
    dnsmasq = execa(
      "ip",
      [
        "netns", "exec", server, "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--port=0",
        "--bind-interfaces", "--interface=srv0", "--except-interface=lo",
        "--dhcp-range=10.94.0.100,10.94.0.150,255.255.255.0,2m", "--dhcp-option=option:router,10.94.0.1",
        `--pid-file=${join(serverFolder, "pid")}`, `--dhcp-leasefile=${join(serverFolder, "leases")}`,
        "--log-dhcp", `--log-facility=${join(serverFolder, "log")}`, "--user=root", "--group=root",
      ],
      { reject: false },
    );
    await pollUntil(exchangeSeconds, async () => serverLog(), (log) => log.includes("DHCP, sockets bound"));
    // The program's folders: root's, 0755, under /run (checked by the program as the real ones are).
    const own = `/run/${runId}-${process.pid.toString(36)}-dhcp`;
    mkdirSync(own, { mode: 0o755 });
    paths = { programFolder: `${own}/etc`, runtimeFolder: `${own}/run`, unitTemplate: `${runId}-dhcp@.service` };
  });

  afterEach(async () => {
    for (const { netns, link } of clients) await run(dhcpStopCommand(netns, link, 5, paths)).catch(() => undefined);
    dnsmasq?.kill();
    await dnsmasq;
    await world.cleanup();
    rmSync(serverFolder, { recursive: true, force: true });
    rmSync(paths.programFolder.replace(/\/etc$/, ""), { recursive: true, force: true });
  });

  it("gives two children of one name in two namespaces, and two in one namespace, leases at once; each renews; stop releases and leaves nothing", async () => {
    const started = await Promise.all([start(nsA, "mac1"), start(nsB, "mac1"), start(nsA, "mac2")]);
    expect(started.map((r) => [r.exitCode, r.stderr])).toEqual([[0, ""], [0, ""], [0, ""]]);

    const children = [[nsA, "mac1"], [nsB, "mac1"], [nsA, "mac2"]] as const;
    const seen = await Promise.all(children.map(([netns, link]) => pollUntil(exchangeSeconds, () => status(netns, link), (s) => s.lease !== undefined)));
    for (const observed of seen) {
      expect(observed).toMatchObject({ running: true, lease: { prefixLength: 24, gateway: "10.94.0.1", server: "10.94.0.1", leaseTime: 120 } });
    }
    const addresses = seen.map((s) => s.lease?.address);
    expect(new Set(addresses).size).toBe(3);
    // What the kernel has: each leased address on its link, with the lease's lifetime (dynamic).
    for (const [i, [netns, link]] of children.entries()) {
      expect(await ipv4Addresses(netns, link)).toContainEqual(expect.objectContaining({ local: addresses[i], prefixlen: 24, dynamic: true }));
    }
    // And the server: one lease per child, by its MAC.
    for (const [i, [netns, link]] of children.entries()) expect(leases()).toContain(`${await mac(netns, link)} ${addresses[i]}`);

    // Each renews (udhcpc renews at once on SIGUSR1, rather than at half the lease): the server acks again.
    const pidOf = (netns: string, link: string) => readFileSync(join(paths.runtimeFolder, `${netns}:${link}.pid`), "utf8").trim();
    for (const [netns, link] of children) {
      const acks = () => serverLog().split(`DHCPACK(srv0) `).length;
      const before = acks();
      await execa("kill", ["-USR1", pidOf(netns, link)]);
      expect(await pollUntil(exchangeSeconds, async () => acks(), (n) => n > before)).toBeGreaterThan(before);
    }
    expect(await status(nsA, "mac1")).toMatchObject({ running: true, lease: { address: addresses[0] } });

    // Stop: released (the server's lease file drops it), the address is off the link, nothing is left.
    for (const [i, [netns, link]] of children.entries()) {
      const stopped = await run(dhcpStopCommand(netns, link, exchangeSeconds, paths));
      expect([stopped.exitCode, stopped.stderr]).toEqual([0, ""]);
      expect(await pollUntil(exchangeSeconds, async () => leases(), (text) => !text.includes(`${addresses[i]} `))).not.toContain(`${addresses[i]} `);
      expect(await ipv4Addresses(netns, link)).toEqual([]);
      expect(await status(netns, link)).toStrictEqual({ running: false });
    }
    expect(serverLog().split("DHCPRELEASE(srv0)").length - 1).toBe(3);
    // The last client stopped: the program and its folders are gone too.
    expect([existsSync(paths.runtimeFolder), existsSync(paths.programFolder)]).toEqual([false, false]);
    const { stdout } = await execa("pgrep", ["-f", paths.runtimeFolder], { reject: false });
    expect(stdout).toBe("");
  });

  it("keeps static addresses; a client killed out of band reads as stopped with its lease left, and stop then takes its address off", async () => {
    await ip("-n", nsA, "addr", "add", "10.94.0.7/24", "dev", "mac1");
    await start(nsA, "mac1");
    const bound = await pollUntil(exchangeSeconds, () => status(nsA, "mac1"), (s) => s.lease !== undefined);
    const address = bound.lease?.address ?? "";
    expect((await ipv4Addresses(nsA, "mac1")).map((a) => a.local).sort()).toEqual(["10.94.0.7", address].sort());

    const pid = readFileSync(join(paths.runtimeFolder, `${nsA}:mac1.pid`), "utf8").trim();
    await execa("kill", ["-KILL", pid]);
    const dead = await pollUntil(exchangeSeconds, () => status(nsA, "mac1"), (s) => !s.running);
    expect(dead).toMatchObject({ running: false, lease: { address } });

    // Starting again replaces it (never two clients of one link), and stop leaves the static address.
    await start(nsA, "mac1");
    expect((await status(nsA, "mac1")).running).toBe(true);
    await run(dhcpStopCommand(nsA, "mac1", exchangeSeconds, paths));
    expect((await ipv4Addresses(nsA, "mac1")).map((a) => a.local)).toEqual(["10.94.0.7"]);
  });

  // udhcpc's default (3 discovers 3 s apart, then 20 s) asked a LAN that answers after 10 s again only
  // about 29 s in, past a 25 s wait; the program starts a new round 3 s after one goes unanswered (-A 3).
  it("has the first lease within the start's wait of 25 s when the LAN answers only after 10 s", async () => {
    await ip("-n", lab, "link", "set", "veth0", "down"); // the LAN unreachable for 10 s
    let timer: NodeJS.Timeout | undefined;
    const reachable = new Promise((resolve) => (timer = setTimeout(resolve, 10_000))).then(() => ip("-n", lab, "link", "set", "veth0", "up"));
    try {
      clients.push({ netns: nsA, link: "mac1" });
      expect(await run(dhcpStartCommand(nsA, "mac1", 25, paths))).toMatchObject({ exitCode: 0 });
      await reachable;
      expect((await status(nsA, "mac1")).lease?.address).toMatch(/^10\.94\.0\.1\d\d$/);
    } finally {
      clearTimeout(timer);
    }
  });

  it("fails start on a missing link, naming it, and leaves no client", async () => {
    const result = await start(nsA, "nope0");
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain("link nope0 is missing");
    expect(await status(nsA, "nope0")).toStrictEqual({ running: false });
    expect([existsSync(paths.runtimeFolder), existsSync(paths.programFolder)]).toEqual([false, false]);
  });

  it("keeps the program when a boot start fails: the restore program's other clients, queued and not yet running, need it", async () => {
    // As \`up\` left it, and as a boot finds it: the program, and no PID or lease file (/run is new).
    mkdirSync(paths.programFolder, { mode: 0o755 });
    const program = join(paths.programFolder, "dhcp");
    writeFileSync(program, dhcpProgram(paths).text, { mode: 0o755 });
    const result = await run({ argv: ["sh", program, "boot", nsA, "nope0"] });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain("link nope0 is missing");
    expect(existsSync(program)).toBe(true);
  });

  it("keeps the program while a client runs: the last client's stop and another's start at once leave the started one working", async () => {
    await start(nsA, "mac1");
    await pollUntil(exchangeSeconds, () => status(nsA, "mac1"), (s) => s.lease !== undefined);
    const [stopped, started] = await Promise.all([run(dhcpStopCommand(nsA, "mac1", exchangeSeconds, paths)), start(nsB, "mac1")]);
    expect([stopped.exitCode, started.exitCode, started.stderr]).toEqual([0, 0, ""]);
    // The started client's events need the program: its lease comes, and it renews.
    const bound = await pollUntil(exchangeSeconds, () => status(nsB, "mac1"), (s) => s.lease !== undefined);
    expect(bound).toMatchObject({ running: true, lease: { gateway: "10.94.0.1" } });
    expect(existsSync(join(paths.programFolder, "dhcp"))).toBe(true);
    await run(dhcpStopCommand(nsB, "mac1", exchangeSeconds, paths));
    expect([existsSync(paths.runtimeFolder), existsSync(paths.programFolder)]).toEqual([false, false]);
  });
});

describe("the DHCP program's launcher, raced by a teardown", () => {
  let own: string;
  beforeEach(() => {
    own = `/run/${runId}-${process.pid.toString(36)}-dhcprace`;
    mkdirSync(own, { mode: 0o755 });
  });
  afterEach(() => rmSync(own, { recursive: true, force: true }));

  it("has nothing to stop when another stop of the host's last client takes the folder while it checks it", async () => {
    const paths = { programFolder: `${own}/etc`, runtimeFolder: `${own}/run`, unitTemplate: `${runId}-dhcprace@.service` };
    mkdirSync(paths.programFolder, { mode: 0o755 });
    // A gate in stat, in the stop's mount namespace only: its check of the program's folder says it has
    // been reached and waits to be let through, while the folder is taken away as a teardown takes it.
    copyFileSync("/usr/bin/stat", `${own}/real-stat`);
    chmodSync(`${own}/real-stat`, 0o755);
    writeFileSync(
      `${own}/gated-stat`,
      `#!/bin/sh
      for arg; do
        if [ "$arg" = "${paths.programFolder}" ] && [ ! -e "${own}/reached" ]; then
          touch "${own}/reached"
          timeout 60 sh -c 'until [ -e "$1" ]; do sleep 0.05; done' gate "${own}/go"
        fi
      done
      exec ${own}/real-stat "$@"\n`,
      { mode: 0o755 },
    );
    const { argv } = dhcpStopCommand("nons", "nolink", 1, paths);
    const stop = execa("unshare", ["-m", "--propagation", "private", "sh", "-c", `mount --bind ${own}/gated-stat /usr/bin/stat && exec "$@"`, "gated", ...argv], { reject: false });
    await pollUntil(60, () => existsSync(`${own}/reached`), Boolean);
    rmdirSync(paths.programFolder);
    writeFileSync(`${own}/go`, "");
    const result = await stop;
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
  });
});
