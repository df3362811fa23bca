// The scan's pure parts: from what iproute2 printed in a namespace (recorded in the demo's lab, or
// written here in its JSON for cases a lab does not have) to the layout, the program and the flowchart.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import ts from "typescript";
import { z } from "zod";
import type { CommandResult } from "../../../provider/exec/runner";
import { layoutOf, type HostRead } from "../../../provider/scan/layout";
import { mermaidOf } from "../../../provider/scan/mermaid";
import { programOf } from "../../../provider/scan/typescript";
import { namespaceReadCommands, parseNamespaceRead, type NamespaceRead } from "../../../provider/state/hostLayout";

const commandResult = z.strictObject({
  command: z.strictObject({ argv: z.array(z.string()) }),
  exitCode: z.number().int(),
  stdout: z.string(),
  stderr: z.string(),
});
/** `ip`'s output in demo-lab, demo-ns1 and demo-ns2 while `bash scripts/demo.sh --keep` had the lab up. */
const demoLab = z
  .record(z.string(), z.array(commandResult))
  .parse(JSON.parse(readFileSync(path.join(__dirname, "../../fixtures/scan/demo-lab.json"), "utf8")));

/** What TypeScript's parser finds wrong in a program (syntax only). */
function syntaxErrors(program: string): string[] {
  const { diagnostics = [] } = ts.transpileModule(program, { reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.CommonJS } });
  return diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

function hostRead(namespaces: NamespaceRead[], scanned: (string | undefined)[], announcing: [string, boolean][] = []): HostRead {
  return {
    namespaces: new Map(namespaces.map((ns) => [ns.netns ?? "", ns])),
    scanned,
    tapNodes: new Map(),
    announcing: new Map(announcing),
  };
}

function demo(): HostRead {
  const names = ["demo-lab", "demo-ns1", "demo-ns2"];
  return hostRead(names.map((name) => parseNamespaceRead(name, demoLab[name] as CommandResult[])!), names);
}

/** A namespace's results as `ip` would print them: links, IPv4 routes, IPv6 routes, namespace ids. */
function namespace(netns: string | undefined, links: object[], routes: { v4?: object[]; v6?: object[]; ids?: object[] } = {}): NamespaceRead {
  const outputs = [links, routes.v4 ?? [], routes.v6 ?? [], routes.ids ?? []];
  const results = namespaceReadCommands(netns).map((command, i) => ({ command, exitCode: 0, stdout: JSON.stringify(outputs[i]), stderr: "" }));
  return parseNamespaceRead(netns, results)!;
}
const lo = { ifindex: 1, ifname: "lo", flags: ["LOOPBACK", "UP"], mtu: 65536, address: "00:00:00:00:00:00" };
const link = (ifindex: number, ifname: string, more: object = {}) => ({ ifindex, ifname, flags: ["BROADCAST", "UP"], mtu: 1500, txqlen: 1000, address: `02:00:00:00:00:0${ifindex}`, ...more });
const macvlan = (mode: string) => ({ linkinfo: { info_kind: "macvlan", info_data: { mode, bcqueuelen: 1000 } } });

describe("the demo's lab, as recorded", () => {
  it("is a pair named for the children's parent, two children referring to it, and nothing left out", () => {
    const layout = layoutOf(demo());
    expect(layout.namespaces.map((n) => n.name)).toEqual(["demo-lab", "demo-ns1", "demo-ns2"]);
    expect(layout.veths.map((v) => [v.end.name, v.peer.name, v.peer.addresses])).toEqual([["veth0", "veth1", ["10.77.0.254/24"]]]);
    expect(layout.macvlans.map((m) => [m.netns, m.name, m.mode, m.parent, m.addresses])).toEqual([
      ["demo-ns1", "mac1", "bridge", { netns: "demo-lab", name: "veth0" }, ["10.77.0.1/24"]],
      ["demo-ns2", "mac2", "bridge", { netns: "demo-lab", name: "veth0" }, ["10.77.0.2/24"]],
    ]);
    expect(layout.skipped).toEqual([]);
  });

  it("draws the flowchart the README shows", () => {
    const readme = readFileSync(path.join(__dirname, "../../../README.md"), "utf8");
    const block = /<!-- scan: lab -->\n```mermaid\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(mermaidOf(layoutOf(demo()))).toBe(block);
  });

  it("writes a program with references where one resource depends on another", () => {
    const program = programOf(layoutOf(demo()), { hostLabel: "localhost" });
    expect(syntaxErrors(program)).toEqual([]);
    expect(program).toContain('import { MacvlanLink, NetNamespace, VethPair } from "pulumi-iproute2";');
    expect(program).toContain('const demoLabVeth0 = new VethPair("demo-lab-veth0", {\n  name: "veth0",\n  netns: demoLab.name,\n  peerName: "veth1",');
    expect(program).toContain('  parent: demoLabVeth0.name,\n  parentNetns: demoLab.name,\n  netns: demoNs1.name,\n  mode: "bridge",');
    // Announce was off for every link with addresses (nothing says otherwise): written as the host has it.
    expect(program.match(/announce: false/g)).toHaveLength(3);
    expect(program.match(/^ {2}adopt: true,$/gm)).toHaveLength(6);
    expect(program).toContain("// Nothing on the scanned namespaces was left out.");
  });

  it("writes announce only where the host does not announce", () => {
    const read = demo();
    for (const [netns, name] of [["demo-lab", "veth0"], ["demo-lab", "veth1"], ["demo-ns1", "mac1"]]) read.announcing.set(`${netns}\u0000${name}`, true);
    const program = programOf(layoutOf(read), { hostLabel: "localhost" });
    expect(program.match(/announce: false/g)).toHaveLength(1); // mac2's
  });

  it("carries an SSH connection with the key from the stack's config, never in the program", () => {
    const program = programOf(layoutOf(demo()), {
      hostLabel: "root@hv1",
      connection: { host: "hv1", port: 2222, user: "root", privateKeyFromConfig: true, knownHostsFile: "/etc/ssh/known", sudo: false },
    });
    expect(program).toContain('import * as pulumi from "@pulumi/pulumi";');
    expect(program).toContain(
      'const connection: ConnectionArgs = {\n  type: "ssh",\n  host: "hv1",\n  port: 2222,\n  user: "root",\n  privateKey: config.requireSecret("sshPrivateKey"),\n  knownHostsFile: "/etc/ssh/known",\n};',
    );
    expect(program.match(/^ {2}connection,$/gm)).toHaveLength(6);
  });
});

describe("what a scan leaves out, and why", () => {
  it("names links of other kinds literally, and lists them with their addresses and routes", () => {
    const host = namespace(undefined, [lo, link(2, "eth0", { addr_info: [{ family: "inet", local: "192.0.2.5", prefixlen: 24, scope: "global" }] }), link(3, "mv0", { link: "eth0", ...macvlan("bridge") })], {
      v4: [{ dst: "default", gateway: "192.0.2.1", dev: "eth0", protocol: "dhcp", flags: [] }],
    });
    const layout = layoutOf(hostRead([host], [undefined]));
    expect(layout.skipped).toEqual([
      "device eth0 in the host's namespace (192.0.2.5/24): not a kind this package manages",
      "route default via 192.0.2.1 dev eth0 proto dhcp in the host's namespace: on eth0, which is not managed",
    ]);
    const program = programOf(layout, { hostLabel: "localhost" });
    expect(program).toContain('  parent: "eth0", // device, not managed by this program\n');
    expect(program).not.toContain("parentNetns");
    expect(mermaidOf(layout)).toContain('["eth0<br/>device<br/>192.0.2.5/24"]');
  });

  it("leaves out addresses handed out with a lifetime (SLAAC, DHCP), saying so", () => {
    const addresses = [
      { family: "inet", local: "10.0.0.9", prefixlen: 24, scope: "global" },
      { family: "inet6", local: "2001:db8::5054:ff:fe00:1", prefixlen: 64, scope: "global", dynamic: true },
      { family: "inet6", local: "fe80::1", prefixlen: 64, scope: "link" },
    ];
    const ns = namespace("a", [lo, link(2, "v0", { link: "v1", linkinfo: { info_kind: "veth" } }), link(3, "v1", { link: "v0", linkinfo: { info_kind: "veth" } }), link(4, "m0", { link: "v0", addr_info: addresses, ...macvlan("bridge") })]);
    const layout = layoutOf(hostRead([ns], ["a"]));
    expect(layout.macvlans[0]?.args.addresses).toEqual(["10.0.0.9/24"]);
    expect(layout.skipped).toEqual(['address 2001:db8::5054:ff:fe00:1/64 on m0 in netns "a": handed out with a lifetime (SLAAC or DHCP), which renews it']);
  });

  it("keeps routes added by hand (taken over) and ours, and lists the ones a route cannot carry or another daemon owns", () => {
    const ns = namespace("a", [lo, link(2, "v0", { link: "v1", linkinfo: { info_kind: "veth" } }), link(3, "v1", { link: "v0", linkinfo: { info_kind: "veth" } }), link(4, "m0", { link: "v0", ...macvlan("bridge") })], {
      v4: [
        { dst: "10.1.0.0/16", gateway: "10.0.0.1", dev: "m0", flags: [] },
        { dst: "10.2.0.0/16", gateway: "10.0.0.1", dev: "m0", protocol: "static", metric: 5, flags: [] },
        { dst: "10.3.0.0/16", gateway: "10.0.0.1", dev: "m0", protocol: "bird", flags: [] },
        { dst: "10.4.0.0/16", gateway: "10.0.0.1", dev: "m0", prefsrc: "10.0.0.9", flags: [] },
        { dst: "10.0.0.0/24", dev: "m0", protocol: "kernel", scope: "link", prefsrc: "10.0.0.9", flags: [] },
        { dst: "10.5.0.0/16", gateway: "10.0.0.1", dev: "v1", flags: [] },
        { type: "blackhole", dst: "10.6.0.0/16", flags: [] },
      ],
      v6: [{ dst: "fe80::/64", dev: "m0", protocol: "kernel", metric: 256, pref: "medium", flags: [] }],
    });
    const layout = layoutOf(hostRead([ns], ["a"]));
    const [m0] = layout.macvlans;
    expect(m0?.args.routes).toEqual([{ to: "10.1.0.0/16", via: "10.0.0.1", metric: 0 }, { to: "10.2.0.0/16", via: "10.0.0.1", metric: 5 }]);
    expect(m0?.notes).toEqual([
      "route 10.1.0.0/16 via 10.0.0.1 dev m0 proto boot was added by hand: adopting replaces it in place as proto static (`ip route replace`), the protocol this package's routes carry, so that refresh sees it; the route itself does not change",
    ]);
    expect(layout.skipped).toEqual([
      'route 10.5.0.0/16 via 10.0.0.1 dev v1 proto boot in netns "a": a VethPair does not manage routes',
      'route 10.3.0.0/16 via 10.0.0.1 dev m0 proto bird in netns "a": made by bird, which keeps it (not taken over)',
      'route 10.4.0.0/16 via 10.0.0.1 dev m0 proto boot in netns "a": it has prefsrc, which a route of this package cannot carry',
      'route blackhole 10.6.0.0/16 proto boot in netns "a": it is on no single link',
    ]);
  });

  it("follows a parent and a peer into the namespaces named by id, and takes an id with no name for the host's own", () => {
    const a = namespace("a", [lo, link(2, "m0", { link_index: 7, link_netnsid: 0, ...macvlan("private") }), link(3, "x0", { link_index: 9, link_netnsid: 1, linkinfo: { info_kind: "veth" } })], {
      ids: [{ nsid: 0, name: "b" }, { nsid: 1 }],
    });
    const b = namespace("b", [lo, link(7, "eth1")]);
    const host = namespace(undefined, [lo, link(9, "x1", { link_index: 3, link_netnsid: 0, linkinfo: { info_kind: "veth" } })], { ids: [{ nsid: 0, name: "a" }] });
    const layout = layoutOf(hostRead([a, b, host], ["a"]));
    expect(layout.macvlans[0]?.parent).toEqual({ netns: "b", name: "eth1" });
    // The host's end is the pair's `name`: a `peerNetns` left out means `netns`, so it cannot be the peer.
    expect(layout.veths.map((v) => [v.end, v.peer].map((e) => `${e.netns ?? "host"}/${e.name}`))).toEqual([["host/x1", "a/x0"]]);
    const program = programOf(layout, { hostLabel: "localhost" });
    expect(program).toContain('  parent: "eth1", // device, not managed by this program\n  parentNetns: "b",\n');
    expect(program).toContain("// x1 is in the host's namespace, which was not scanned: the pair manages that end too");
    expect(mermaidOf(layout)).toContain('subgraph ns1["host (not scanned)"]');
  });

  it("lists a veth whose peer is in a namespace with no name, and one whose peer does not name it back", () => {
    const host = namespace(undefined, [lo, link(2, "vethabc", { link_index: 2, link_netnsid: 0, linkinfo: { info_kind: "veth" } })], { ids: [{ nsid: 0 }] });
    expect(layoutOf(hostRead([host], [undefined])).skipped).toEqual([
      "veth vethabc in the host's namespace: its peer cannot be found (it is in a namespace with no name (id 0, a container's, say), which no name in /run/netns reaches)",
    ]);
    const a = namespace("a", [lo, link(2, "v0", { link: "v1", linkinfo: { info_kind: "veth" } }), link(3, "v1", { link: "v9", linkinfo: { info_kind: "veth" } }), link(4, "v9")]);
    expect(layoutOf(hostRead([a], ["a"])).skipped[0]).toBe('veth v0 in netns "a": v1 in netns "a" does not name it back as its peer');
  });

  it("leaves out a namespace whose name a NetNamespace refuses, and keeps every name inside its string or comment", () => {
    const evil = "x\nprocess.exit(7); //\u2028process.exit(8)";
    const bad = namespace(evil, [lo, link(2, "v0", { link: "v1", linkinfo: { info_kind: "veth" } }), link(3, "v1", { link: "v0", linkinfo: { info_kind: "veth" } })]);
    const odd = namespace("a", [lo, link(2, "b\"r<0>\u2028x", { linkinfo: { info_kind: "bridge" } })]);
    const layout = layoutOf(hostRead([bad, odd], [evil, "a"]));
    expect(layout.namespaces.map((n) => n.name)).toEqual(["a"]);
    expect(layout.skipped).toContain('netns "x\\nprocess.exit(7); //\u2028process.exit(8)" and everything in it: a NetNamespace cannot have that name (name must not contain "/"; name must not contain whitespace; name must be printable ASCII)');
    const program = programOf(layout, { hostLabel: "localhost" });
    expect(syntaxErrors(program)).toEqual([]);
    // Nothing from a name starts a line of code: every line with it is a comment.
    expect(program.split(/\n|\u2028/).filter((line) => /process\.exit|r<0>/.test(line) && !line.startsWith("//"))).toEqual([]);
    expect(mermaidOf(layout)).toContain('["b#quot;r#lt;0#gt;#8232;x<br/>bridge"]');
  });

  it("leaves out what its resource would refuse as it is, and a host child whose parent is in a namespace", () => {
    const v6 = [{ family: "inet6", local: "fd00::1", prefixlen: 64, scope: "global" }];
    const a = namespace("a", [lo, link(2, "v0", { link: "v1", linkinfo: { info_kind: "veth" } }), link(3, "v1", { link: "v0", linkinfo: { info_kind: "veth" } }), link(4, "m0", { link: "v0", flags: ["BROADCAST"], addr_info: v6, ...macvlan("bridge") })], {
      ids: [{ nsid: 0 }],
    });
    const host = namespace(undefined, [lo, link(5, "mh", { link_index: 2, link_netnsid: 0, ...macvlan("bridge") })], { ids: [{ nsid: 0, name: "a" }] });
    const layout = layoutOf(hostRead([a, host], [undefined, "a"]));
    expect(layout.macvlans).toEqual([]);
    expect(layout.skipped).toEqual([
      'macvlan mh in the host\'s namespace: its parent is in netns "a": a MacvlanLink left without netns is put in its parent\'s',
      'macvlan m0 in netns "a": as it is, it would be refused: addresses IPv6 addresses need up: true (the kernel drops them while the link is down)',
    ]);
  });

  it("makes readable, unique variable names, and says when the ends of a pair disagree", () => {
    const a = namespace("1-web.a", [lo, link(2, "v-0", { link: "v-1", linkinfo: { info_kind: "veth" } }), link(3, "v-1", { link: "v-0", mtu: 9000, flags: [], linkinfo: { info_kind: "veth" } })]);
    const b = namespace("class", []);
    const program = programOf(layoutOf(hostRead([a, b], ["1-web.a", "class"])), { hostLabel: "localhost" });
    expect(program).toContain('const _1WebA = new NetNamespace("1-web.a", {');
    expect(program).toContain('const class_ = new NetNamespace("class", {');
    expect(program).toContain('const _1WebAV0 = new VethPair("1-web.a-v-0", {');
    expect(program).toContain("// v-1 is down and v-0 up: a VethPair brings both ends up together, so adopting it brings v-1 up");
    expect(program).toContain("// the ends' MTUs differ (1500, 9000): mtu is left out, so each keeps its own");
    expect(program).not.toMatch(/^ {2}mtu:/m);
  });
});
