// Placing a link's peer or parent from iproute2's JSON: the namespace ids and the link's link_netnsid.
import { describe, expect, it } from "vitest";
import type { LinkObserved } from "../../../provider/model";
import { parseNamespaceIds, peerOf } from "../../../provider/state/linkPeer";

const link = (more: Partial<LinkObserved>): LinkObserved => ({ name: "x", ifindex: 2, macAddress: "", mtu: 1500, txQueueLength: 1000, up: true, addresses: [], routes: [], ...more });

describe("parseNamespaceIds", () => {
  it("maps each id to its names, every name from `netns list`, none for a namespace without one", () => {
    const listId = JSON.stringify([{ nsid: 0, name: "b" }, { nsid: 1 }]);
    const list = JSON.stringify([{ name: "b", id: 0 }, { name: "b2", id: 0 }, { name: "c" }]);
    expect(parseNamespaceIds(listId, list)).toEqual(new Map([[0, ["b", "b2"]], [1, []]]));
    expect(parseNamespaceIds(listId)).toEqual(new Map([[0, ["b"]], [1, []]]));
    // `ip -j netns list` prints nothing when there are no named namespaces.
    expect(parseNamespaceIds("[]", "")).toEqual(new Map());
  });
});

describe("peerOf", () => {
  const ids = new Map([[0, ["b"]], [1, []]]);
  it.each<[string, Partial<LinkObserved>, ReturnType<typeof peerOf>]>([
    ["in the same namespace, by name", { parentLink: "v0" }, { where: "same", name: "v0" }],
    ["in another, by its id there", { parentIndex: 5, parentNetnsid: 0 }, { where: "other", nsid: 0, names: ["b"], ifindex: 5 }],
    ["in one with no name", { parentIndex: 5, parentNetnsid: 1 }, { where: "other", nsid: 1, names: [], ifindex: 5 }],
    ["an id not listed", { parentIndex: 5, parentNetnsid: 4 }, { where: "unknown", why: "its namespace id 4 is not listed" }],
    ["no id from the kernel", { parentIndex: 5, parentNetnsid: -1 }, { where: "unknown", why: "the kernel gives its namespace no id" }],
    ["no peer at all", {}, { where: "unknown", why: "it names no peer or parent" }],
  ])("%s", (_case, more, expected) => {
    expect(peerOf(link(more), ids)).toEqual(expected);
  });
});
