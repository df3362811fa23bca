// Bridge's arguments through validateArgs: its own fields and defaults, and the forward delay's STP range
// checked before anything touches a host.
import { describe, expect, it } from "vitest";
import { bridgeArgs } from "../../../provider/schema/bridge";
import { expectFailure, validArgs, type BadRow } from "./expectations";

const bad = (label: string, extra: Record<string, unknown>, property: string, reason: string): BadRow => ({ case: label, raw: { name: "br0", ...extra }, property, reason });

describe("Bridge arguments that are refused", () => {
  it.each([
    bad("forwardDelay 1 with stp", { stp: true, forwardDelay: 1 }, "forwardDelay", "must be 2 to 30 seconds while stp is true"),
    bad("forwardDelay 31 with stp", { stp: true, forwardDelay: 31 }, "forwardDelay", "must be 2 to 30 seconds while stp is true"),
    bad("forwardDelay 0 with stp", { stp: true, forwardDelay: 0 }, "forwardDelay", "while stp is true"),
    bad("forwardDelay below zero", { forwardDelay: -1 }, "forwardDelay", "must not be negative"),
    bad("forwardDelay finer than a centisecond", { forwardDelay: 2.005 }, "forwardDelay", "whole tenths of a second"),
    // Kept by a kernel of 250 ticks a second as 15 and 2: drift on every refresh.
    bad("forwardDelay in hundredths", { forwardDelay: 15.01 }, "forwardDelay", "whole tenths of a second"),
    bad("forwardDelay in hundredths, with stp", { stp: true, forwardDelay: 2.01 }, "forwardDelay", "whole tenths of a second"),
    bad("forwardDelay as a string", { forwardDelay: "15" }, "forwardDelay", "must be a number of seconds"),
    bad("stp as a string", { stp: "on" }, "stp", "must be true or false"),
    bad("vlanFiltering as a number", { vlanFiltering: 1 }, "vlanFiltering", "must be true or false"),
    bad("a master: a bridge is no port", { master: "br1" }, "master", "is not an argument of Bridge"),
  ])("$case", (row) => expectFailure(bridgeArgs, row));
});

describe("Bridge defaults", () => {
  it("has STP off, the kernel's 15 s forward delay, no VLAN filtering, and leaves MAC and MTU to the kernel", () => {
    const d = validArgs(bridgeArgs, { name: "br0" });
    expect(d).toMatchObject({ name: "br0", stp: false, forwardDelay: 15, vlanFiltering: false, addresses: [], up: true });
    expect("macAddress" in d || "mtu" in d).toBe(false);
  });

  it.each([
    { case: "0 with STP off", raw: { forwardDelay: 0 } },
    { case: "2 and 30 with STP on", raw: { stp: true, forwardDelay: 2 } },
    { case: "30 with STP on", raw: { stp: true, forwardDelay: 30 } },
    { case: "in tenths", raw: { stp: true, forwardDelay: 4.5 } },
    { case: "in tenths, where binary floating point is inexact", raw: { forwardDelay: 0.3 } },
  ])("takes forwardDelay $case", ({ raw }) => {
    expect(validArgs(bridgeArgs, { name: "br0", ...raw }).forwardDelay).toBe(raw.forwardDelay);
  });

  it("lists its own fields after netns, where the shared ones are", () => {
    expect(Object.keys(bridgeArgs.fields).slice(0, 6)).toEqual(["name", "netns", "stp", "forwardDelay", "vlanFiltering", "macAddress"]);
  });
});
