// The machinery under every resource's validation: unknown markers, failures, parseArgs.
import { describe, expect, it } from "vitest";
import { macvlanLinkArgs } from "../../../provider/schema/macvlanLink";
import { netNamespaceArgs } from "../../../provider/schema/netNamespace";
import { containsUnknown, InvalidArgumentsError, parseArgs, UNKNOWN, validateArgs } from "../../../provider/schema/validate";

describe("containsUnknown", () => {
  it.each([
    { case: "the marker", value: UNKNOWN, unknown: true },
    { case: "the marker in a list", value: ["a", UNKNOWN], unknown: true },
    { case: "the marker in an object in a list", value: [{ to: "default", via: UNKNOWN }], unknown: true },
    { case: "the marker as an object's value", value: { sudo: UNKNOWN }, unknown: true },
    { case: "a string that contains the marker", value: `${UNKNOWN}x`, unknown: false },
    { case: "the marker as an object's key", value: { [UNKNOWN]: 1 }, unknown: false },
    { case: "null", value: null, unknown: false },
    { case: "undefined", value: undefined, unknown: false },
    { case: "plain data", value: { a: [1, "b", { c: true }] }, unknown: false },
  ])("$case -> $unknown", ({ value, unknown }) => {
    expect(containsUnknown(value)).toBe(unknown);
  });
});

describe("validateArgs", () => {
  it("reports every failure, not only the first", () => {
    const result = validateArgs(macvlanLinkArgs, { name: "", parent: "veth0", mtu: 1, extra: true });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.failures.map((f) => f.property).sort()).toStrictEqual(["extra", "mtu", "name", "name"]);
  });

  it("runs no rule across fields while a field is invalid", () => {
    // nopromisc without passthru would be refused by a rule; with a bad MTU only the MTU is reported.
    const result = validateArgs(macvlanLinkArgs, { name: "mac0", parent: "veth0", nopromisc: true, mtu: 1 });
    expect(!result.ok && result.failures.map((f) => f.property)).toStrictEqual(["mtu"]);
  });

  it("says a nested value is required by its path", () => {
    const result = validateArgs(macvlanLinkArgs, { name: "mac0", parent: "veth0", routes: [{ to: "default" }, {}] });
    expect(!result.ok && result.failures).toStrictEqual([{ property: "routes[1].to", reason: "must be a string" }]);
  });

  it("has no unknown fields when everything is known", () => {
    const result = validateArgs(netNamespaceArgs, { name: "ns1" });
    expect(result.ok && result.unknownFields.size).toBe(0);
  });
});

describe("parseArgs", () => {
  it("returns the args when every value is known and valid", () => {
    expect(parseArgs(netNamespaceArgs, { name: "ns1", loopbackUp: false })).toStrictEqual({
      name: "ns1",
      loopbackUp: false,
      adopt: false,
      persist: true,
      connection: { type: "local", sudo: false, persist: true },
    });
  });

  it("throws one error naming each failure", () => {
    let error: unknown;
    try {
      parseArgs(macvlanLinkArgs, { name: "mac0", parent: "veth0", mtu: 10, mode: "bridged" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidArgumentsError);
    expect(error).toMatchObject({
      kind: "MacvlanLink",
      failures: [
        { property: "mode", reason: expect.stringContaining("must be one of") },
        { property: "mtu", reason: "must be at least 68 (the IPv4 minimum)" },
      ],
      message: expect.stringMatching(/^invalid MacvlanLink arguments: mode must be one of .*; mtu must be at least 68/),
    });
  });

  it("refuses values still unknown, naming them", () => {
    expect(() => parseArgs(macvlanLinkArgs, { name: UNKNOWN, parent: "veth0", netns: UNKNOWN })).toThrow(
      "invalid MacvlanLink arguments: name is still unknown; netns is still unknown",
    );
  });
});
