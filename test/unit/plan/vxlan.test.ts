// Vxlan plans: the diff (no change / update in place / replace) and the exact steps of create and
// update, with their undo steps: `ip` for the link, `bridge fdb` for the flood list, one entry a step.
import { describe, expect, it } from "vitest";
import type { VxlanState } from "../../../provider/model";
import { diffProperties } from "../../../provider/plan/diff";
import { planVxlanCreate, planVxlanUpdate, vxlanPropertyRules } from "../../../provider/plan/vxlan";
import { vxlanLifecycle } from "../../../provider/resources/vxlan";
import { vxlanArgs } from "../../../provider/schema/vxlan";
import { UNKNOWN } from "../../../provider/schema/validate";
import { validArgs } from "../schema/expectations";
import { normalized, step, undone } from "../steps";

function stateOf(overrides: Partial<VxlanState> = {}): VxlanState {
  return {
    name: "vx0",
    netns: "hA",
    vni: 42,
    local: "10.0.0.1",
    remote: "10.0.0.2",
    dstPort: 4789,
    underlay: "ul0",
    learning: true,
    remotes: ["10.0.0.3"],
    macAddress: "02:ab:cd:00:00:01",
    mtu: 1450,
    txQueueLength: 1000,
    addresses: [],
    routes: [],
    up: true,
    announce: true,
    nodad: false,
    adopt: false,
    persist: false,
    connection: { type: "local", sudo: false, persist: true },
    ifindex: 7,
    kernelChosen: ["macAddress", "mtu", "txQueueLength"],
    ...overrides,
  };
}

/** An IPv6 tunnel's state. */
const v6 = (overrides: Partial<VxlanState> = {}) => stateOf({ local: "2001:db8::1", remote: "2001:db8::2", remotes: [], ...overrides });

const inputs = { name: "vx0", netns: "hA", vni: 42, local: "10.0.0.1", remote: "10.0.0.2", underlay: "ul0", remotes: ["10.0.0.3"], persist: false };
const checked = (raw: Record<string, unknown>) => validArgs(vxlanArgs, raw) as unknown as Record<string, unknown>;

type Outcome = "no change" | "update" | "replace";
const diffRows: [string, Record<string, unknown>, Outcome, string?, Partial<VxlanState>?][] = [
  ["what the kernel has, dstPort left to its default", {}, "no change"],
  ["remotes in another order", { remotes: ["10.0.0.3", "10.0.0.4"] }, "no change", undefined, { remotes: ["10.0.0.4", "10.0.0.3"] }],
  ["local", { local: "10.0.0.9" }, "update", "local"],
  ["local cleared (IPv4)", { local: undefined }, "update", "local"],
  ["remote", { remote: "10.0.0.8" }, "update", "remote"],
  ["learning off", { learning: false }, "update", "learning"],
  ["a remote added", { remotes: ["10.0.0.3", "10.0.0.4"] }, "update", "remotes"],
  ["master joined", { master: "br0" }, "update", "master"],
  ["vni", { vni: 43 }, "replace", "vni"],
  ["dstPort", { dstPort: 8472 }, "replace", "dstPort"],
  ["underlay (the kernel would keep remote's entry on the old one)", { underlay: "ul1" }, "replace", "underlay"],
  ["netns (its socket would stay behind)", { netns: "hB" }, "replace", "netns"],
  ["local to IPv6 (the tunnel's family)", { local: "fd00::1", remote: undefined, remotes: [] }, "replace", "local", { remote: undefined, remotes: [] }],
  ["an IPv6 local cleared", { local: undefined, remote: undefined, remotes: [] }, "replace", "local", { local: "fd00::1", remote: undefined, remotes: [] }],
  ["vni unknown", { vni: UNKNOWN }, "replace", "vni"],
  ["local added to an IPv6 tunnel (its remote says its family)", { local: "2001:db8::1", remote: "2001:db8::2", remotes: [] }, "update", "local", v6({ local: undefined })],
  ["an IPv6 remote cleared, local kept", { local: "2001:db8::1", remote: undefined, remotes: [] }, "update", "remote", v6()],
  ["local to IPv6 on a tunnel with no end (the kernel made it IPv4)", { local: "2001:db8::1", remote: undefined, remotes: [] }, "replace", "local", { local: undefined, remote: undefined, remotes: [] }],
];

describe("the Vxlan diff of a tunnel's ends", () => {
  const diffOf = (olds: Partial<VxlanState>, news: Record<string, unknown>) =>
    diffProperties(vxlanPropertyRules, stateOf(olds) as unknown as Record<string, unknown>, checked({ ...inputs, ...news }));

  it("updates an IPv6 group to an IPv6 remote in place: the family does not change", () => {
    expect(diffOf(v6({ remote: undefined, group: "ff0e::1" }), { local: "2001:db8::1", remote: "2001:db8::2", remotes: [] })).toStrictEqual({ changes: true, changed: ["remote", "group"], replaces: [] });
  });

  it("replaces on a change of family, whichever ends change", () => {
    expect(diffOf({}, { local: "2001:db8::1", remote: "2001:db8::2", remotes: [] })).toStrictEqual({ changes: true, changed: ["local", "remote", "remotes"], replaces: ["local", "remote"] });
  });
});

describe("the Vxlan diff", () => {
  it.each(diffRows)("%s: %s", (_label, news, outcome, property, olds) => {
    const diff = diffProperties(vxlanPropertyRules, stateOf(olds) as unknown as Record<string, unknown>, checked({ ...inputs, ...news }));
    expect(diff).toStrictEqual({
      changes: outcome !== "no change",
      changed: property !== undefined ? [property] : [],
      replaces: outcome === "replace" && property !== undefined ? [property] : [],
    });
  });
});

const fdb = (verb: string, dst: string, undo?: object) => ({
  argv: ["bridge", "-n", "hA", "fdb", verb, "00:00:00:00:00:00", "dev", "vx0", "dst", dst],
  ...(undo && { undo: [undo] }),
});

describe("the Vxlan plans", () => {
  it("creates it in its namespace with dstport always sent, then its flood list, then what every link does", () => {
    const steps = planVxlanCreate(validArgs(vxlanArgs, { ...inputs, learning: false, remotes: ["10.0.0.3", "10.0.0.4"], owner: "p/s/Vxlan/vx0" }));
    expect(normalized(steps)).toStrictEqual([
      step("hA", "link add name vx0 type vxlan id 42 dstport 4789 local 10.0.0.1 remote 10.0.0.2 dev ul0 nolearning", step("hA", "link del dev vx0")),
      fdb("append", "10.0.0.3"),
      fdb("append", "10.0.0.4"),
      step("hA", "link set dev vx0 alias pulumi-iproute2:p/s/Vxlan/vx0"),
      step("hA", "link set dev vx0 up"),
    ]);
  });

  it("joins a group on its underlay, and a bridge by a step of its own after the add", () => {
    const steps = planVxlanCreate(validArgs(vxlanArgs, { name: "vx0", vni: 7, group: "239.1.1.1", underlay: "eth0", dstPort: 8472, master: "br0", up: false }));
    expect(normalized(steps)).toStrictEqual([
      step(undefined, "link add name vx0 type vxlan id 7 dstport 8472 group 239.1.1.1 dev eth0", step(undefined, "link del dev vx0")),
      step(undefined, "link set dev vx0 master br0"),
    ]);
  });

  it("removes flood entries first and adds them last, around local, the default end and learning; never dstport", () => {
    const cur = stateOf({ remotes: ["10.0.0.3", "10.0.0.4"] });
    const d = validArgs(vxlanArgs, { ...inputs, local: "10.0.0.9", remote: "10.0.0.3", learning: false, remotes: ["10.0.0.2", "10.0.0.4"] });
    expect(normalized(planVxlanUpdate(cur, d))).toStrictEqual([
      fdb("del", "10.0.0.3", fdb("append", "10.0.0.3")),
      undone("hA", "link set dev vx0 type vxlan local 10.0.0.9", "hA", "link set dev vx0 type vxlan local 10.0.0.1"),
      undone("hA", "link set dev vx0 type vxlan remote 10.0.0.3", "hA", "link set dev vx0 type vxlan remote 10.0.0.2"),
      undone("hA", "link set dev vx0 type vxlan nolearning", "hA", "link set dev vx0 type vxlan learning"),
      fdb("append", "10.0.0.2", fdb("del", "10.0.0.2")),
    ]);
  });

  it("goes from remote to group and to none with the words ip takes", () => {
    const toGroup = planVxlanUpdate(stateOf({ remotes: [] }), validArgs(vxlanArgs, { ...inputs, remote: undefined, group: "239.1.1.1", remotes: [] }));
    expect(normalized(toGroup)).toStrictEqual([
      undone("hA", "link set dev vx0 type vxlan group 239.1.1.1 dev ul0", "hA", "link set dev vx0 type vxlan remote 10.0.0.2"),
    ]);
    const toNone = planVxlanUpdate(stateOf({ remotes: [] }), validArgs(vxlanArgs, { ...inputs, remote: undefined, local: undefined, remotes: [] }));
    expect(normalized(toNone)).toStrictEqual([
      undone("hA", "link set dev vx0 type vxlan local 0.0.0.0", "hA", "link set dev vx0 type vxlan local 10.0.0.1"),
      undone("hA", "link set dev vx0 type vxlan remote 0.0.0.0", "hA", "link set dev vx0 type vxlan remote 10.0.0.2"),
    ]);
  });

  it("clears an IPv6 tunnel's end with :: (the kernel refuses 0.0.0.0 there)", () => {
    const noRemote = planVxlanUpdate(v6(), validArgs(vxlanArgs, { ...inputs, local: "2001:db8::1", remote: undefined, remotes: [] }));
    expect(normalized(noRemote)).toStrictEqual([undone("hA", "link set dev vx0 type vxlan remote ::", "hA", "link set dev vx0 type vxlan remote 2001:db8::2")]);
    const localBack = planVxlanUpdate(v6({ local: undefined }), validArgs(vxlanArgs, { ...inputs, local: "2001:db8::1", remote: "2001:db8::2", remotes: [] }));
    expect(normalized(localBack)).toStrictEqual([undone("hA", "link set dev vx0 type vxlan local 2001:db8::1", "hA", "link set dev vx0 type vxlan local ::")]);
  });
});

describe("the Vxlan boot part", () => {
  it("waits for its namespace, underlay and bridge, makes it with its ifindex and MAC, then replays its flood list", () => {
    const part = vxlanLifecycle.boot.part(validArgs(vxlanArgs, { ...inputs, master: "br0", remotes: ["10.0.0.3", "10.0.0.4"], persist: true }));
    const lines = part.text.split("\n").filter((line) => !line.startsWith("#"));
    expect(lines).toEqual([
      "format 1",
      "resource Vxlan",
      "object link hA vx0",
      "link hA vx0",
      "needs netns hA",
      "needs link hA ul0",
      "needs link hA br0",
      "add hA link add index #index1# name vx0 address #mac1# type vxlan id 42 dstport 4789 local 10.0.0.1 remote 10.0.0.2 dev ul0",
      "anew hA link add name vx0 address #mac1# type vxlan id 42 dstport 4789 local 10.0.0.1 remote 10.0.0.2 dev ul0",
      "fdb hA vx0 10.0.0.3",
      "fdb hA vx0 10.0.0.4",
      "ip hA link set dev vx0 master br0",
      "ip hA link set dev vx0 up",
      "",
    ]);
  });
});
