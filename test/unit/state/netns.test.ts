// Reading a namespace back from what real iproute2 printed (test/fixtures/iproute2/netns-read.json).
import { describe, expect, it } from "vitest";
import { netnsFromResults, netnsReadCommands } from "../../../provider/state/netns";
import { netnsReadFixture } from "../fixtures";

const fixture = netnsReadFixture();

describe("netnsReadCommands", () => {
  it.each([fixture.lo_up, fixture.lo_down, fixture.gone])("is the command recorded for $netns", ({ netns, result }) => {
    expect(netnsReadCommands(netns)).toStrictEqual([result.command]);
  });
});

describe("netnsFromResults", () => {
  it.each([
    { case: "lo up", recorded: fixture.lo_up, observed: { name: fixture.lo_up.netns, loopbackUp: true } },
    { case: "lo down (a namespace just made)", recorded: fixture.lo_down, observed: { name: fixture.lo_down.netns, loopbackUp: false } },
    { case: "a namespace that does not exist", recorded: fixture.gone, observed: undefined },
  ])("$case", ({ recorded, observed }) => {
    expect(netnsFromResults([recorded.result], recorded.netns)).toStrictEqual(observed);
  });

  it("throws any other failure with the command's own words", () => {
    const result = { ...fixture.lo_up.result, exitCode: 255, stdout: "", stderr: 'setting the network namespace "ns1" failed: Operation not permitted\n' };
    expect(() => netnsFromResults([result], "ns1")).toThrow('reading namespace "ns1" failed: setting the network namespace "ns1" failed: Operation not permitted');
  });

  it("throws when there is no result", () => {
    expect(() => netnsFromResults([], "ns1")).toThrow('reading namespace "ns1" returned nothing');
  });

  it("throws on output that is not JSON", () => {
    expect(() => netnsFromResults([{ ...fixture.lo_up.result, stdout: "1: lo: <LOOPBACK,UP> mtu 65536\n" }], "ns1")).toThrow("something other than JSON");
  });

  it("is gone when iproute2 lists no lo", () => {
    expect(netnsFromResults([{ ...fixture.lo_up.result, stdout: "[]\n" }], "ns1")).toBeUndefined();
  });
});
