// States written before `announce` and `nodad` existed: the links were made without announce and with
// DAD. They parse as such, and the next plan after an upgrade is an in-place update of announce alone.
import { describe, expect, it } from "vitest";
import type { MacvlanLinkState, VethPairState } from "../../../provider/model";
import { macvlanLinkHandlers } from "../../../provider/resources/macvlanLink";
import { vethPairHandlers } from "../../../provider/resources/vethPair";
import { macvlanLinkArgs } from "../../../provider/schema/macvlanLink";
import { vethPairArgs } from "../../../provider/schema/vethPair";
import { parseMacvlanState } from "../../../provider/state/macvlanLink";
import { parseVethState } from "../../../provider/state/vethPair";
import { validArgs } from "../schema/expectations";

/** A state as this version writes it, less the two arguments an earlier one did not know. */
function earlier<S extends { announce: boolean; nodad: boolean }>(state: S): Record<string, unknown> {
  const { announce: _a, nodad: _n, ...rest } = state;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

const macvlanArgs = validArgs(macvlanLinkArgs, { name: "mac1", parent: "veth0", netns: "ns1", addresses: ["10.0.0.2/24", "fd00::2/64"] });
const macvlanState: MacvlanLinkState = {
  ...macvlanArgs,
  macAddress: "02:00:00:00:00:01",
  mtu: 1500,
  txQueueLength: 1000,
  bcQueueLength: 1000,
  ifindex: 5,
  kernelChosen: ["macAddress", "mtu", "txQueueLength", "bcQueueLength"],
};
const vethArgs = validArgs(vethPairArgs, { name: "a0", peerName: "b0", netns: "lab", addresses: ["10.0.0.1/24"] });
const vethState: VethPairState = { ...vethArgs, mtu: 1500, macAddress: "02:00:00:00:00:02", peerMacAddress: "02:00:00:00:00:03", ifindex: 3, peerIfindex: 4, kernelChosen: ["mtu"] };

describe("states written before announce", () => {
  it("parse as links made without announce, their IPv6 addresses with DAD", () => {
    expect(parseMacvlanState(macvlanLinkArgs, earlier(macvlanState))).toMatchObject({ announce: false, nodad: false });
    expect(parseVethState(earlier(vethState))).toMatchObject({ announce: false, nodad: false });
  });

  it("diff against this version's defaults as an in-place update of announce alone", async () => {
    expect(await macvlanLinkHandlers.diff("ns1/mac1", earlier(macvlanState), macvlanArgs)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(await vethPairHandlers.diff("lab/a0", earlier(vethState), vethArgs)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    // With announce: false asked, nothing changes: nodad's absence is its old value, false.
    expect(await macvlanLinkHandlers.diff("ns1/mac1", earlier(macvlanState), { ...macvlanArgs, announce: false })).toMatchObject({ changes: false });
    expect(await vethPairHandlers.diff("lab/a0", earlier(vethState), { ...vethArgs, announce: false })).toMatchObject({ changes: false });
  });
});
