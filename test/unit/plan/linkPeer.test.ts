// Whether a link's peer or parent is the declared one, as a table: identity by namespace id, never by ifindex alone.
import { describe, expect, it } from "vitest";
import type { LinkPeer } from "../../../provider/model";
import { describePeer, isDeclaredPeer, needsIfindex, type DeclaredPeer } from "../../../provider/plan/linkPeer";

const declared = (netns: string | undefined): DeclaredPeer => ({ netns, name: "veth0", ifindex: 7 });

describe("isDeclaredPeer", () => {
  it.each<[string, string | undefined, LinkPeer, DeclaredPeer, boolean]>([
    ["same namespace, by name", "ns1", { where: "same", name: "veth0" }, declared("ns1"), true],
    ["same namespace, another name", "ns1", { where: "same", name: "veth1" }, declared("ns1"), false],
    ["same name, but the declared one is in another namespace", "ns1", { where: "same", name: "veth0" }, declared("lab"), false],
    ["same namespace, by ifindex", "ns1", { where: "same", ifindex: 7 }, declared("ns1"), true],
    ["same namespace, another ifindex", "ns1", { where: "same", ifindex: 8 }, declared("ns1"), false],
    ["another namespace, named as declared, same ifindex", "ns1", { where: "other", nsid: 0, names: ["lab"], ifindex: 7 }, declared("lab"), true],
    ["another namespace bound under two names", "ns1", { where: "other", nsid: 0, names: ["lab2", "lab"], ifindex: 7 }, declared("lab"), true],
    ["the declared ifindex, in another namespace", "ns1", { where: "other", nsid: 1, names: ["other"], ifindex: 7 }, declared("lab"), false],
    ["the declared namespace, another ifindex", "ns1", { where: "other", nsid: 0, names: ["lab"], ifindex: 8 }, declared("lab"), false],
    ["the declared namespace, no such link there", "ns1", { where: "other", nsid: 0, names: ["lab"], ifindex: 7 }, { ...declared("lab"), ifindex: undefined }, false],
    ["in another namespace, though declared in the link's own", "ns1", { where: "other", nsid: 0, names: ["lab"], ifindex: 7 }, declared("ns1"), false],
    ["a namespace with no name, from a named one: the connection's own", "ns1", { where: "other", nsid: 2, names: [], ifindex: 7 }, declared(undefined), true],
    ["a namespace with no name, from the connection's own: a container's", undefined, { where: "other", nsid: 2, names: [], ifindex: 7 }, declared(undefined), false],
    ["a named namespace, declared in the connection's own", "ns1", { where: "other", nsid: 0, names: ["lab"], ifindex: 7 }, declared(undefined), false],
    ["a place the kernel cannot say", "ns1", { where: "unknown", why: "the kernel gives its namespace no id" }, declared("lab"), false],
  ])("%s", (_case, from, peer, target, expected) => {
    expect(isDeclaredPeer(from, peer, target)).toBe(expected);
  });
});

describe("needsIfindex", () => {
  it("only when the peer is known by its number", () => {
    expect(needsIfindex({ where: "same", name: "veth0" })).toBe(false);
    expect(needsIfindex({ where: "same", ifindex: 3 })).toBe(true);
    expect(needsIfindex({ where: "other", nsid: 0, names: [], ifindex: 3 })).toBe(true);
    expect(needsIfindex({ where: "unknown", why: "x" })).toBe(false);
  });
});

describe("describePeer", () => {
  it.each<[string | undefined, LinkPeer, string]>([
    ["ns1", { where: "same", name: "veth0" }, `"veth0" in netns "ns1"`],
    [undefined, { where: "same", ifindex: 4 }, "ifindex 4 in the host's namespace"],
    ["ns1", { where: "other", nsid: 0, names: ["c"], ifindex: 41 }, `ifindex 41 in netns "c"`],
    ["ns1", { where: "other", nsid: 0, names: ["c", "c2"], ifindex: 41 }, `ifindex 41 in netns "c" or "c2"`],
    ["ns1", { where: "other", nsid: 3, names: [], ifindex: 41 }, "ifindex 41 in a namespace with no name (id 3)"],
    ["ns1", { where: "unknown", why: "its namespace id 3 is not listed" }, "a link that cannot be placed (its namespace id 3 is not listed)"],
  ])("%s %j", (from, peer, words) => {
    expect(describePeer(from, peer)).toBe(words);
  });
});
