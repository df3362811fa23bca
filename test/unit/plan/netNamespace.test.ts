// NetNamespace plans: the diff and the exact steps of create, update and delete.
import { describe, expect, it } from "vitest";
import type { NetNamespaceState } from "../../../provider/model";
import {
  diffNetNamespace,
  planNetNamespaceCreate,
  planNetNamespaceDelete,
  planNetNamespaceUpdate,
} from "../../../provider/plan/netNamespace";
import { netNamespaceArgs } from "../../../provider/schema/netNamespace";
import { UNKNOWN } from "../../../provider/schema/validate";
import { validArgs } from "../schema/expectations";
import { normalized, step, undone } from "../steps";

const olds: NetNamespaceState = { name: "ns1", loopbackUp: true, adopt: false, persist: true, connection: { type: "local", sudo: false, persist: true }, path: "/run/netns/ns1" };

describe("diffNetNamespace", () => {
  it.each([
    { case: "the same inputs", news: { name: "ns1" }, outcome: "no change" },
    { case: "loopbackUp", news: { name: "ns1", loopbackUp: false }, outcome: "update", property: "loopbackUp" },
    { case: "connection.sudo", news: { name: "ns1", connection: { sudo: true } }, outcome: "update", property: "connection" },
    { case: "name", news: { name: "ns2" }, outcome: "replace", property: "name" },
    { case: "name unknown", news: { name: UNKNOWN }, outcome: "replace", property: "name" },
    // persist given: unset, it would be the unknown connection's, and unknown too
    { case: "connection unknown", news: { name: "ns1", persist: true, connection: UNKNOWN }, outcome: "replace", property: "connection" },
    { case: "persist", news: { name: "ns1", persist: false }, outcome: "update", property: "persist" },
    { case: "loopbackUp unknown", news: { name: "ns1", loopbackUp: UNKNOWN }, outcome: "update", property: "loopbackUp" },
    // A state from before marks has no owner: the upgrade marks it in place.
    { case: "an owner where the state has none", news: { name: "ns1", owner: "p/s/NetNamespace/ns1" }, outcome: "update", property: "owner" },
  ])("$case: $outcome", ({ news, outcome, property }) => {
    const diff = diffNetNamespace(olds as unknown as Record<string, unknown>, validArgs(netNamespaceArgs, news) as unknown as Record<string, unknown>);
    expect(diff).toStrictEqual({
      changes: outcome !== "no change",
      changed: property !== undefined ? [property] : [],
      replaces: outcome === "replace" && property !== undefined ? [property] : [],
    });
  });
});

describe("NetNamespace plans", () => {
  const desired = (raw: Record<string, unknown>) => validArgs(netNamespaceArgs, raw);

  it.each([
    {
      case: "create, lo up",
      steps: planNetNamespaceCreate(desired({ name: "ns1" })),
      expected: [step(undefined, "netns add ns1", step(undefined, "netns del ns1")), step("ns1", "link set dev lo up")],
    },
    {
      case: "create with an owner: lo marked, in the batch that brings it up",
      steps: planNetNamespaceCreate(desired({ name: "ns1", owner: "p/s/NetNamespace/ns 1" })),
      expected: [step(undefined, "netns add ns1", step(undefined, "netns del ns1")), step("ns1", "link set dev lo alias pulumi-iproute2:p/s/NetNamespace/ns%201"), step("ns1", "link set dev lo up")],
    },
    {
      case: "update, a first owner (an upgrade): the mark, undone by clearing it",
      steps: planNetNamespaceUpdate(desired({ name: "ns1" }), desired({ name: "ns1", owner: "p/s/NetNamespace/ns1" })),
      expected: [{ netns: "ns1", args: ["link", "set", "dev", "lo", "alias", "pulumi-iproute2:p/s/NetNamespace/ns1"], undo: [{ netns: "ns1", args: ["link", "set", "dev", "lo", "alias", ""] }] }],
    },
    {
      case: "update, another owner (handed over): the new mark, undone by the old one",
      steps: planNetNamespaceUpdate(desired({ name: "ns1", owner: "p/a/NetNamespace/ns1" }), desired({ name: "ns1", owner: "p/b/NetNamespace/ns1" })),
      expected: [undone("ns1", "link set dev lo alias pulumi-iproute2:p/b/NetNamespace/ns1", "ns1", "link set dev lo alias pulumi-iproute2:p/a/NetNamespace/ns1")],
    },
    {
      case: "create, lo left down",
      steps: planNetNamespaceCreate(desired({ name: "ns1", loopbackUp: false })),
      expected: [step(undefined, "netns add ns1", step(undefined, "netns del ns1"))],
    },
    { case: "update, nothing to change", steps: planNetNamespaceUpdate(desired({ name: "ns1" }), desired({ name: "ns1" })), expected: [] },
    {
      case: "update, lo down",
      steps: planNetNamespaceUpdate(desired({ name: "ns1" }), desired({ name: "ns1", loopbackUp: false })),
      expected: [undone("ns1", "link set dev lo down", "ns1", "link set dev lo up")],
    },
    {
      case: "update, lo up",
      steps: planNetNamespaceUpdate(desired({ name: "ns1", loopbackUp: false }), desired({ name: "ns1" })),
      expected: [undone("ns1", "link set dev lo up", "ns1", "link set dev lo down")],
    },
    { case: "delete", steps: planNetNamespaceDelete({ name: "ns1" }), expected: [step(undefined, "netns del ns1")] },
  ])("$case", ({ steps, expected }) => {
    expect(normalized(steps)).toStrictEqual(expected);
  });
});
