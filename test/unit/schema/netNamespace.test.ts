// NetNamespace's arguments through validateArgs.
import { describe, expect, it } from "vitest";
import { netNamespaceArgs } from "../../../provider/schema/netNamespace";
import { UNKNOWN, validateArgs } from "../../../provider/schema/validate";
import { expectFailure, validArgs, type BadRow } from "./expectations";

function bad(label: string, raw: Record<string, unknown>, property: string, reason: string): BadRow {
  return { case: label, raw, property, reason };
}

const netNamespaceBadRows: BadRow[] = [
  bad("no name", {}, "name", "is required"),
  bad("empty name", { name: "" }, "name", "must not be empty"),
  bad("name as a number", { name: 1 }, "name", "must be a string"),
  bad('name "/"', { name: "/" }, "name", 'must not contain "/"'),
  bad("a path as name", { name: "/run/netns/ns1" }, "name", 'must not contain "/"'),
  bad('name "."', { name: "." }, "name", 'must not be "." or ".."'),
  bad('name ".."', { name: ".." }, "name", 'must not be "." or ".."'),
  bad('name starting with "-"', { name: "-all" }, "name", 'must not start with "-"'),
  // iproute2 reads each of these as a process ID where it takes a namespace (strtol, base 0).
  ...["1", "123", "0", "010", "0x1", "0X1f", "+1", "+0x10"].map((name) =>
    bad(`name ${JSON.stringify(name)}, a number to iproute2`, { name }, "name", "must not be a number (iproute2 would take it for a process ID)"),
  ),
  bad("name with a space", { name: "ns 1" }, "name", "whitespace"),
  bad("name with a quote", { name: 'ns"1' }, "name", "quotes, backslashes or #"),
  bad("name with a backslash", { name: "ns\\1" }, "name", "quotes, backslashes or #"),
  bad("name with #", { name: "#ns1" }, "name", "quotes, backslashes or #"),
  bad("non-ASCII name", { name: "nämespace" }, "name", "printable ASCII"),
  bad("65-character name", { name: "n".repeat(65) }, "name", "at most 64 characters"),
  bad("loopbackUp as a string", { name: "ns1", loopbackUp: "yes" }, "loopbackUp", "must be true or false"),
  bad("loopbackUp as a number", { name: "ns1", loopbackUp: 1 }, "loopbackUp", "must be true or false"),
  bad("an argument NetNamespace does not have", { name: "ns1", netns: "ns2" }, "netns", "is not an argument of NetNamespace"),
  bad("connection of another type", { name: "ns1", connection: { type: "remote" } }, "connection.type", 'must have type "local" or "ssh"'),
  bad("connection.sudo as a number", { name: "ns1", connection: { sudo: 0 } }, "connection.sudo", "must be true or false"),
  bad("an empty owner", { name: "ns1", owner: "" }, "owner", "must not be empty"),
  bad("owner as a number", { name: "ns1", owner: 7 }, "owner", "must be a string"),
  bad("an owner of 201 characters", { name: "ns1", owner: "o".repeat(201) }, "owner", "at most 200 characters"),
  bad("an owner with a newline", { name: "ns1", owner: "p/s/NetNamespace/a\nb" }, "owner", "must be printable"),
  bad("an owner with a right-to-left override", { name: "ns1", owner: "p/s/NetNamespace/a\u202eb" }, "owner", "must be printable"),
];

describe("NetNamespace arguments that are refused", () => {
  it.each(netNamespaceBadRows)("$case: $property", (row) => expectFailure(netNamespaceArgs, row));
});

describe("NetNamespace defaults", () => {
  it.each([
    { case: "loopbackUp defaults to true", raw: { name: "ns1" }, args: { name: "ns1", loopbackUp: true, adopt: false, persist: true, connection: { type: "local", sudo: false, persist: true } } },
    {
      case: "a 64-character name, lo left down, sudo",
      raw: { name: "n".repeat(64), loopbackUp: false, connection: { sudo: true } },
      args: { name: "n".repeat(64), loopbackUp: false, adopt: false, persist: true, connection: { type: "local", sudo: true, persist: true } },
    },
    { case: "a name with a colon", raw: { name: "ns:1" }, args: { name: "ns:1", loopbackUp: true, adopt: false, persist: true, connection: { type: "local", sudo: false, persist: true } } },
    // Not whole numbers to strtol with base 0: "09" stops at the 9, "0x" at the x.
    ...["09", "0x", "1a", "ns1", "x1"].map((name) => ({
      case: `the name ${JSON.stringify(name)}, not a number to iproute2`,
      raw: { name },
      args: { name, loopbackUp: true, adopt: false, persist: true, connection: { type: "local", sudo: false, persist: true } },
    })),
  ])("$case", ({ raw, args }) => {
    expect(validArgs(netNamespaceArgs, raw)).toStrictEqual(args);
  });

  it("passes an unknown name through", () => {
    const result = validateArgs(netNamespaceArgs, { name: UNKNOWN });
    expect(result).toStrictEqual({
      ok: true,
      args: { name: UNKNOWN, loopbackUp: true, adopt: false, persist: true, connection: { type: "local", sudo: false, persist: true } },
      unknownFields: new Set(["name"]),
    });
  });
});

describe("NetNamespace owner", () => {
  it("is optional (states from before marks have none), and any printable text of up to 200 characters", () => {
    expect(validArgs(netNamespaceArgs, { name: "ns1" }).owner).toBeUndefined();
    const owner = `lab/dev/NetNamespace/${"é ".repeat(89)}`;
    expect(validArgs(netNamespaceArgs, { name: "ns1", owner }).owner).toBe(owner);
  });
});
