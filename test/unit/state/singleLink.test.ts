// A single link's state as read back from Pulumi's checkpoint: what the kernel chose is an output, checked
// as one, never as the argument the user left out.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { bridgeArgs } from "../../../provider/schema/bridge";
import { macvlanLinkArgs } from "../../../provider/schema/macvlanLink";
import { parseSingleLinkState } from "../../../provider/state/singleLink";

const connection = { type: "local", sudo: false, persist: true };
const outputs = { ifindex: 3, mtu: 1500, txQueueLength: 1000, up: true, addresses: [], routes: [], announce: true, nodad: false, adopt: false, persist: true, connection };

describe("parseSingleLinkState", () => {
  it("takes a kernel-chosen MAC no argument could be: a bridge's all zeros once its last port left", () => {
    const stored = { ...outputs, name: "br0", stp: false, forwardDelay: 15, vlanFiltering: false, macAddress: "00:00:00:00:00:00", kernelChosen: ["macAddress", "mtu", "txQueueLength"] };
    expect(parseSingleLinkState(bridgeArgs, stored, z.object({}), [])).toMatchObject({ macAddress: "00:00:00:00:00:00", mtu: 1500 });
  });

  it("still checks a MAC the user gave as an argument", () => {
    const stored = { ...outputs, name: "br0", stp: false, forwardDelay: 15, vlanFiltering: false, macAddress: "00:00:00:00:00:00", kernelChosen: ["mtu", "txQueueLength"] };
    expect(() => parseSingleLinkState(bridgeArgs, stored, z.object({}), [])).toThrow(/macAddress must not be all zeros/);
  });

  it("keeps a kernel-chosen value the outputs do not carry as an argument (a macvlan's)", () => {
    const stored = { ...outputs, name: "m0", parent: "v0", mode: "bridge", nopromisc: false, sourceMacs: [], macAddress: "02:00:00:00:00:01", bcQueueLength: 1000, kernelChosen: ["macAddress", "mtu", "txQueueLength", "bcQueueLength"] };
    expect(parseSingleLinkState(macvlanLinkArgs, stored, z.object({ bcQueueLength: z.number() }), ["bcQueueLength"])).toMatchObject({ macAddress: "02:00:00:00:00:01", bcQueueLength: 1000 });
  });
});
