// Outputs from what the kernel reported (real fixtures), and the property that keeps previews quiet:
// the inputs a link was made with, against the outputs read back, plan nothing.
import { describe, expect, it } from "vitest";
import { diffMacvlan, planMacvlanUpdate } from "../../../provider/plan/macvlanLink";
import { macvlanLinkArgs } from "../../../provider/schema/macvlanLink";
import { macvlanInputsOf, macvlanStateOf, parseMacvlanState } from "../../../provider/state/macvlanLink";
import { linkFromResults } from "../../../provider/state/oneLink";
import { validArgs } from "../schema/expectations";
import { linkFixtureOf, type LinkFixtureName } from "../fixtures";

const lab = linkFixtureOf("macvlan-bridge").netns;

/** Each fixture with the arguments record.sh made it with, as a user would write them. */
const made: { fixture: LinkFixtureName; raw: Record<string, unknown> }[] = [
  {
    fixture: "macvlan-bridge",
    raw: {
      name: "mvbr",
      parent: "v0",
      parentNetns: lab,
      addresses: ["10.61.0.2/24", "10.61.1.2/24", "FD00:0061:0:0::2/64"],
      routes: [
        { to: "10.62.0.0/24", via: "10.61.0.1" },
        { to: "10.63.0.5", metric: 100 },
        { to: "default", via: "10.61.0.1", metric: 50 },
        { to: "fd00:62::/64", via: "fd00:61::1" },
        { to: "fd00:63::5", metric: 200 },
        { to: "default", via: "fd00:61::1" },
      ],
    },
  },
  { fixture: "macvlan-private", raw: { name: "mvpriv", parent: "v0", parentNetns: lab, mode: "private", addresses: ["10.64.0.2/24"], up: false } },
  {
    fixture: "macvlan-vepa",
    raw: { name: "mvvepa", parent: "v0", parentNetns: lab, mode: "vepa", macAddress: "02:AB:CD:00:00:01", mtu: 1400, txQueueLength: 500, bcQueueLength: 2000 },
  },
  { fixture: "macvlan-passthru", raw: { name: "mvpt", parent: "v2", parentNetns: lab, mode: "passthru", nopromisc: true, addresses: ["10.67.0.2/24"] } },
  { fixture: "macvlan-source", raw: { name: "mvsrc", parent: "v0", parentNetns: lab, mode: "source", sourceMacs: ["02:AA:00:00:00:01", "02:aa:00:00:00:02"] } },
  {
    fixture: "macvlan-other-netns",
    raw: { name: "mvfar", parent: "v0", parentNetns: lab, netns: linkFixtureOf("macvlan-other-netns").netns, addresses: ["10.68.0.2/24"] },
  },
  { fixture: "macvtap-bridge", raw: { name: "mvtap", parent: "v0", parentNetns: lab, up: false } },
];

function rawOf(fixture: LinkFixtureName): Record<string, unknown> {
  const entry = made.find((m) => m.fixture === fixture);
  if (!entry) throw new Error(`no arguments recorded for ${fixture}`);
  return entry.raw;
}

function outputsOf(fixture: LinkFixtureName, raw: Record<string, unknown> = rawOf(fixture)) {
  const recorded = linkFixtureOf(fixture);
  const observed = linkFromResults(recorded.results, recorded.name);
  if (!observed) throw new Error(`fixture ${fixture} holds no link`);
  const inputs = validArgs(macvlanLinkArgs, raw);
  return { inputs, outputs: macvlanStateOf(inputs, observed) };
}

describe("a link read back after it was made", () => {
  it.each(made)("$fixture: no diff against the inputs it was made with", ({ fixture, raw }) => {
    const { inputs, outputs } = outputsOf(fixture, raw);
    expect(diffMacvlan(outputs as unknown as Record<string, unknown>, inputs as unknown as Record<string, unknown>)).toStrictEqual({
      changes: false,
      changed: [],
      replaces: [],
    });
  });

  it.each(made)("$fixture: no update steps", ({ fixture, raw }) => {
    const { inputs, outputs } = outputsOf(fixture, raw);
    expect(planMacvlanUpdate(outputs, inputs, fixture === "macvtap-bridge" ? "macvtap" : "macvlan")).toStrictEqual([]);
  });

  it.each(made)("$fixture: refresh hands back the inputs", ({ fixture, raw }) => {
    const { inputs, outputs } = outputsOf(fixture, raw);
    expect(macvlanInputsOf(outputs)).toStrictEqual(inputs);
  });

  it.each(made)("$fixture: outputs survive Pulumi's checkpoint", ({ fixture, raw }) => {
    const { outputs } = outputsOf(fixture, raw);
    const checkpoint = JSON.parse(JSON.stringify(outputs)) as Record<string, unknown>;
    expect(parseMacvlanState(macvlanLinkArgs, checkpoint)).toStrictEqual(outputs);
  });
});

describe("outputs", () => {
  it("report what the kernel chose, in the user's order where the user gave one", () => {
    const { outputs } = outputsOf("macvlan-source");
    expect(outputs).toMatchObject({
      sourceMacs: ["02:aa:00:00:00:01", "02:aa:00:00:00:02"],
      macAddress: "b2:6a:e6:84:67:8d",
      mtu: 1500,
      txQueueLength: 1000,
      bcQueueLength: 1000,
      ifindex: 13,
      kernelChosen: ["macAddress", "mtu", "txQueueLength", "bcQueueLength"],
    });
  });

  it("list no kernel-chosen value the user gave", () => {
    const { outputs } = outputsOf("macvlan-vepa");
    expect(outputs.kernelChosen).toStrictEqual([]);
  });

  it("refuse a link of another kind", () => {
    const recorded = linkFixtureOf("veth-end");
    const observed = linkFromResults(recorded.results, recorded.name);
    expect(() => observed && macvlanStateOf(validArgs(macvlanLinkArgs, { name: "v1", parent: "v0" }), observed)).toThrow(
      'link "v1" is a veth link, not macvlan or macvtap',
    );
  });
});
