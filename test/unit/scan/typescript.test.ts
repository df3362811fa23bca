// The scan as a Pulumi program: references, arguments as the host has them, the connection, names,
// and names from the host kept inside their strings and comments (the program is parsed by TypeScript).
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { layoutOf } from "../../../provider/scan/layout";
import { mermaidOf } from "../../../provider/scan/mermaid";
import { programOf, stringLiteral } from "../../../provider/scan/typescript";
import { demo, hostileNames, hostileNamespaceNames, hostRead, link, lo, macvlan, namespace, printableAscii, syntaxErrors, veth } from "./reads";

describe("programOf", () => {
  it("writes a program with references where one resource depends on another", () => {
    const program = programOf(layoutOf(demo()), { hostLabel: "localhost" });
    expect(syntaxErrors(program)).toEqual([]);
    expect(program).toContain('import { MacvlanLink, NetNamespace, VethPair } from "pulumi-iproute2";');
    expect(program).toContain('const demoLabVeth0 = new VethPair("demo-lab-veth0", {\n  name: "veth0",\n  netns: demoLab.name,\n  peerName: "veth1",');
    expect(program).toContain('  parent: demoLabVeth0.name,\n  parentNetns: demoLab.name,\n  netns: demoNs1.name,\n  mode: "bridge",');
    // The demo's links announce (the lab is made with announce on): no announce: false.
    expect(program).not.toContain("announce:");
    expect(program.match(/^ {2}adopt: true,$/gm)).toHaveLength(6);
    expect(program).toContain("// Nothing on the scanned namespaces was left out.");
  });

  it("writes announce: false only where the host does not announce", () => {
    const v4 = (local: string) => ({ addr_info: [{ family: "inet", local, prefixlen: 24, scope: "global" }] });
    const a = namespace("a", [lo, link(2, "v0", { link: "v1", ...veth, ...v4("10.0.0.1") }), link(3, "v1", { link: "v0", ...veth }), link(4, "m0", { link: "v0", ...macvlan("bridge"), ...v4("10.0.0.2") }), link(5, "m1", { link: "v0", ...macvlan("bridge"), ...v4("10.0.0.3") }), link(6, "m2", { link: "v0", ...macvlan("bridge") })], {
      announcing: ["v0", "m0"],
    });
    const program = programOf(layoutOf(hostRead([a], ["a"])), { hostLabel: "localhost" });
    // v0 announces (v1 has no addresses to announce), m0 announces, m1 does not, m2 has no addresses.
    expect(program.match(/announce: false/g)).toHaveLength(1);
    expect(program).toMatch(/name: "m1",[^}]*announce: false, \/\/ as the host has it/);
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

  it("leaves out a namespace whose name a NetNamespace refuses, and keeps every name inside its string or comment", () => {
    const evil = "x\nprocess.exit(7); //\u2028process.exit(8)";
    const bad = namespace(evil, [lo, link(2, "v0", { link: "v1", linkinfo: { info_kind: "veth" } }), link(3, "v1", { link: "v0", linkinfo: { info_kind: "veth" } })]);
    const odd = namespace("a", [lo, link(2, "b\"r<0>\u2028x", { linkinfo: { info_kind: "dummy" } })]);
    const layout = layoutOf(hostRead([bad, odd], [evil, "a"]));
    expect(layout.namespaces.map((n) => n.name)).toEqual(["a"]);
    expect(layout.skipped).toContain('netns "x\\nprocess.exit(7); //\u2028process.exit(8)" and everything in it: a NetNamespace cannot have that name (name must not contain "/"; name must not contain whitespace; name must be printable ASCII)');
    const program = programOf(layout, { hostLabel: "localhost" });
    expect(syntaxErrors(program)).toEqual([]);
    // Nothing from a name starts a line of code: every line with it is a comment.
    expect(program.split(/\n|\u2028/).filter((line) => /process\.exit|r<0>/.test(line) && !line.startsWith("//"))).toEqual([]);
    expect(mermaidOf(layout)).toContain('["b#quot;r#lt;0#gt;#8232;x<br/>dummy"]');
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

// Whatever a host names reaches the program only as printable ASCII: in comments as escapes a reviewer
// sees, in string literals as escapes that still evaluate to the name (Trojan Source, CVE-2021-42574).
describe("names from a host in the program", () => {
  /** Every link named as a hostile name, in a scanned namespace; and namespaces with hostile names. */
  function hostileLayout() {
    const links = hostileNames.map((name, i) => link(2 + i, name, { linkinfo: { info_kind: "dummy" } }));
    const odd = hostileNamespaceNames.map((name) => namespace(name, [lo]));
    return layoutOf(hostRead([namespace("a", [lo, ...links]), ...odd], ["a", ...hostileNamespaceNames]));
  }

  it("escapes, in its comments, every character outside printable ASCII", () => {
    const program = programOf(hostileLayout(), { hostLabel: "h\u202eost" });
    expect(program).toMatch(printableAscii);
    expect(syntaxErrors(program)).toEqual([]);
    expect(program.split("\n").filter((line) => /\\u/.test(line) && !line.startsWith("//"))).toEqual([]);
    for (const escaped of ["r\\u202eab", "q\\u2066x\\u2069y", "z\\u200bw", "b\\ufeffom", "a\\u0001b", "e\\u001b[31m", "d\\u007fel", "n\\u0085l", "s\\ud83d\\ude00", "u\\ud800"]) {
      expect(program).toContain(`// - dummy ${escaped} in netns "a": not a kind this package manages`);
    }
    expect(program).toContain("pulumi-iproute2 scan` from h\\u202eost");
    expect(program).toContain('netns "m\\u202eu" and everything in it');
    expect(program).toContain('netns "p\\u2028s" and everything in it');
  });

  it.each([...hostileNames, ...hostileNamespaceNames, 'q"uote\\', "\u2028\u2029"])("writes %j as an ASCII string literal that evaluates to it", (name) => {
    const literal = stringLiteral(name);
    expect(literal).toMatch(/^[\x20-\x7e]*$/);
    expect(syntaxErrors(`const x = ${literal};`)).toEqual([]);
    expect(runInNewContext(literal)).toBe(name);
  });

  it("writes the connection's values as such literals too", () => {
    const [host, user] = ["r\u202eab", "q\u2066x\u2069y"];
    const program = programOf(hostileLayout(), { hostLabel: `${user}@${host}`, connection: { host, user, privateKeyFromConfig: false, sudo: false } });
    expect(program).toMatch(printableAscii);
    const literal = (key: string) => new RegExp(`^ {2}${key}: (".*"),$`, "m").exec(program)?.[1] ?? "";
    expect(runInNewContext(literal("host"))).toBe(host);
    expect(runInNewContext(literal("user"))).toBe(user);
  });
});
