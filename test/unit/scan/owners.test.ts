// What a scan does with objects a stack's mark is on (an alias, ownerMark.ts): without --stack, each is
// listed under its owner and not written; with --stack, that stack's are written as the resources their
// marks name, without adopt, and the rest listed, saying why where it is the stack's own.
import { describe, expect, it } from "vitest";
import { ownerMark, ownerOf } from "../../../provider/ownerMark";
import { layoutOf } from "../../../provider/scan/layout";
import { mermaidOf } from "../../../provider/scan/mermaid";
import { programOf } from "../../../provider/scan/typescript";
import { hostRead, link, lo, macvlan, namespace, printableAscii, syntaxErrors, veth } from "./reads";

const mark = (kind: string, name: string, stack = "p/dev") => ownerMark(`${stack}/${kind}/${name}`);
const cut = ownerMark(ownerOf("p", "dev", "MacvlanLink", "x".repeat(300)));

/** Namespace "a" (lo marked by p/dev), a marked pair, and macvlans marked every way, one not at all. */
function marked() {
  const markedLo = { ...lo, ifalias: mark("NetNamespace", "a-ns") };
  const a = namespace("a", [
    markedLo,
    link(2, "v0", { link: "v1", ...veth, ifalias: mark("VethPair", "pair") }),
    link(3, "v1", { link: "v0", ...veth, ifalias: mark("VethPair", "pair") }),
    link(4, "m0", { link: "v0", ...macvlan("bridge"), ifalias: mark("MacvlanLink", "web") }),
    link(5, "t0", { link: "v0", linkinfo: { info_kind: "macvtap", info_data: { mode: "bridge" } }, ifalias: mark("MacvlanLink", "t") }),
    link(6, "m1", { link: "v0", ...macvlan("bridge"), ifalias: mark("MacvlanLink", "x", "other/prod") }),
    link(7, "m2", { link: "v0", ...macvlan("bridge"), ifalias: "uplink to rack 4" }),
    link(8, "m3", { link: "v0", ...macvlan("bridge"), ifalias: cut }),
    link(9, "m4", { link: "v0", ...macvlan("bridge"), ifalias: mark("MacvlanLink", "e\u202ex y") }),
  ]);
  return hostRead([a], ["a"]);
}

describe("a scan without --stack", () => {
  it("writes only what carries no mark (an alias that is no mark is none), and lists the rest under its owner", () => {
    const layout = layoutOf(marked());
    expect(layout.namespaces).toEqual([]);
    expect(layout.veths).toEqual([]);
    expect(layout.macvlans.map((m) => [m.name, m.resumes])).toEqual([["m2", undefined]]);
    expect(layout.owned.map((o) => [o.stack, o.owner, o.what, o.why])).toEqual([
      ["p/dev", "p/dev/NetNamespace/a-ns", 'netns "a"', undefined],
      ["p/dev", "p/dev/VethPair/pair", 'veth pair v0 in netns "a" and v1 in netns "a"', undefined],
      ["p/dev", "p/dev/MacvlanLink/web", 'macvlan m0 in netns "a"', undefined],
      ["p/dev", "p/dev/MacvlanLink/t", 'macvtap t0 in netns "a"', undefined],
      ["other/prod", "other/prod/MacvlanLink/x", 'macvlan m1 in netns "a"', undefined],
      ["p/dev", expect.stringMatching(/^p\/dev\/MacvlanLink\/x+~[0-9a-f]{16}$/), 'macvlan m3 in netns "a"', expect.stringContaining("cut with a hash")],
      ["p/dev", "p/dev/MacvlanLink/e\u202ex y", 'macvlan m4 in netns "a"', undefined],
    ]);

    const program = programOf(layout, { hostLabel: "localhost" });
    expect(syntaxErrors(program)).toEqual([]);
    expect(program).toMatch(printableAscii);
    expect(program).not.toContain("new NetNamespace(");
    expect(program.match(/^ {2}adopt: true,$/gm)).toHaveLength(1);
    expect(program).toContain('  name: "m2",\n  parent: "v0", // veth, not managed by this program\n  parentNetns: "a",\n  netns: "a",');
    expect(program).not.toContain("Nothing on the scanned namespaces was left out");
    expect(program).toContain("scan with --stack <project>/<stack>");
    expect(program).toContain('// owned by other/prod:\n//   - MacvlanLink x: macvlan m1 in netns "a"\n');
    expect(program).toContain('// owned by p/dev:\n//   - NetNamespace a-ns: netns "a"\n//   - VethPair pair: veth pair v0 in netns "a" and v1 in netns "a"\n');
    // An owner is host text: escaped like any other.
    expect(program).toContain('//   - MacvlanLink e\\u202ex y: macvlan m4 in netns "a"');

    const chart = mermaidOf(layout);
    expect(chart).toMatch(printableAscii);
    expect(chart).toContain('subgraph ns0["netns a, owned by p/dev/NetNamespace/a-ns"]');
    expect(chart).toContain('["v0<br/>veth<br/>owned by p/dev/VethPair/pair"]');
    expect(chart).toContain('["m4<br/>macvlan bridge<br/>owned by p/dev/MacvlanLink/e#8238;x y"]');
    expect(chart).toContain('["m2<br/>macvlan bridge"]');
  });
});

describe("a scan with --stack", () => {
  it("writes that stack's objects as the resources their marks name, without adopt, and lists the others with why", () => {
    const layout = layoutOf(marked(), { stack: "p/dev" });
    expect(layout.namespaces.map((n) => [n.name, n.resumes?.resourceName])).toEqual([["a", "a-ns"]]);
    expect(layout.veths.map((v) => [v.end.name, v.peer.name, v.resumes?.resourceName])).toEqual([["v0", "v1", "pair"]]);
    expect(layout.macvlans.map((m) => [m.name, m.resumes?.resourceName])).toEqual([["m0", "web"], ["m2", undefined], ["m4", "e\u202ex y"]]);
    expect(layout.owned.map((o) => [o.what, o.why])).toEqual([
      ['macvtap t0 in netns "a"', "its mark names a MacvlanLink, but it is what a Macvtap makes"],
      ['macvlan m1 in netns "a"', undefined],
      ['macvlan m3 in netns "a"', expect.stringContaining("the resource's whole name cannot be read back from it")],
    ]);

    const program = programOf(layout, { hostLabel: "localhost" });
    expect(syntaxErrors(program)).toEqual([]);
    expect(program).toMatch(printableAscii);
    expect(program).toContain("run this program as stack dev of project p");
    expect(program).toContain('// carries the mark of p/dev/NetNamespace/a-ns: its create resumes it\nconst a = new NetNamespace("a-ns", {\n  name: "a",\n});');
    expect(program).toContain('new VethPair("pair", {\n  name: "v0",\n  netns: a.name,\n  peerName: "v1",');
    expect(program).toMatch(/new MacvlanLink\("web", \{\n {2}name: "m0",\n {2}parent: \w+\.name,\n[^}]*\n\}\);/);
    expect(program).toContain('new MacvlanLink("e\\u202ex y", {');
    // Only the one without a mark adopts.
    expect(program.match(/^ {2}adopt: true,$/gm)).toHaveLength(1);
    expect(program).toMatch(/new MacvlanLink\("a-m2", \{\n {2}name: "m2",[^}]*\n {2}adopt: true,\n\}\);/);
    expect(program).toContain("//   - MacvlanLink t: macvtap t0 in netns \"a\" (its mark names a MacvlanLink, but it is what a Macvtap makes)");
    expect(mermaidOf(layout)).toContain('["m0<br/>macvlan bridge<br/>owned by p/dev/MacvlanLink/web"]');
  });

  it("names others around a mark's names, and lists a pair whose ends disagree and a second object with the same mark", () => {
    const a = namespace("a", [
      lo,
      link(2, "v0", { link: "v1", ...veth, ifalias: mark("VethPair", "pair") }),
      link(3, "v1", { link: "v0", ...veth }),
      link(4, "m0", { link: "v0", ...macvlan("bridge"), ifalias: mark("MacvlanLink", "a") }),
      link(5, "m1", { link: "v0", ...macvlan("bridge"), ifalias: mark("MacvlanLink", "a") }),
    ]);
    const layout = layoutOf(hostRead([a], ["a"]), { stack: "p/dev" });
    expect(layout.owned.map((o) => o.why)).toEqual(["its ends carry different marks (the other: none)", "another object carries the same mark, and one resource makes one"]);
    const program = programOf(layout, { hostLabel: "localhost" });
    // The unmarked namespace would be "a", which the mark of m0 takes.
    expect(program).toContain('new MacvlanLink("a", {\n  name: "m0",');
    expect(program).toContain('new NetNamespace("a-2", {');
  });
});
