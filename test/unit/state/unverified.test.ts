// The states kept for a create cut off by a broken connection: they must survive Pulumi's checkpoint
// (parse back as states), and stand for exactly what was asked, so refresh and the next up start there.
import { describe, expect, it } from "vitest";
import { macvlanLinkArgs } from "../../../provider/schema/macvlanLink";
import { vethPairArgs } from "../../../provider/schema/vethPair";
import { isUnverified, macvlanInputsOf, parseMacvlanState, unverifiedMacvlanState } from "../../../provider/state/macvlanLink";
import { isUnverifiedVeth, parseVethState, unverifiedVethState, vethInputsOf } from "../../../provider/state/vethPair";
import { validArgs } from "../schema/expectations";

/** Through the checkpoint: JSON, as the engine stores properties. */
const stored = (state: object) => JSON.parse(JSON.stringify(state)) as Record<string, unknown>;

describe("unverified states", () => {
  it.each([
    { name: "mac1", parent: "veth0", parentNetns: "lab" },
    { name: "mac1", parent: "veth0", mtu: 1400, macAddress: "02:00:00:00:00:01", addresses: ["10.0.0.2/24"] },
  ])("MacvlanLink %j: parses back, unverified, standing for what was asked", (raw) => {
    const asked = validArgs(macvlanLinkArgs, raw);
    const state = parseMacvlanState(macvlanLinkArgs, stored(unverifiedMacvlanState(asked)));
    expect(isUnverified(state)).toBe(true);
    // All but announce: the create may have stopped before setting it, so the next write sets it.
    expect(macvlanInputsOf(state)).toEqual({ ...asked, announce: false });
  });

  it.each([
    { name: "a0", peerName: "b0", netns: "lab" },
    { name: "a0", peerName: "b0", mtu: 9000, addresses: ["10.71.0.1/24"] },
  ])("VethPair %j: parses back, unverified, standing for what was asked", (raw) => {
    const asked = validArgs(vethPairArgs, raw);
    const state = parseVethState(stored(unverifiedVethState(asked)));
    expect(isUnverifiedVeth(state)).toBe(true);
    expect(vethInputsOf(state)).toEqual({ ...asked, announce: false });
  });
});
