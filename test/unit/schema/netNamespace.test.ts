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
];

describe("NetNamespace arguments that are refused", () => {
  it.each(netNamespaceBadRows)("$case: $property", (row) => expectFailure(netNamespaceArgs, row));
});

describe("NetNamespace defaults", () => {
  it.each([
    { case: "loopbackUp defaults to true", raw: { name: "ns1" }, args: { name: "ns1", loopbackUp: true, connection: { type: "local", sudo: false } } },
    {
      case: "a 64-character name, lo left down, sudo",
      raw: { name: "n".repeat(64), loopbackUp: false, connection: { sudo: true } },
      args: { name: "n".repeat(64), loopbackUp: false, connection: { type: "local", sudo: true } },
    },
    { case: "a name with a colon", raw: { name: "ns:1" }, args: { name: "ns:1", loopbackUp: true, connection: { type: "local", sudo: false } } },
  ])("$case", ({ raw, args }) => {
    expect(validArgs(netNamespaceArgs, raw)).toStrictEqual(args);
  });

  it("passes an unknown name through", () => {
    const result = validateArgs(netNamespaceArgs, { name: UNKNOWN });
    expect(result).toStrictEqual({
      ok: true,
      args: { name: UNKNOWN, loopbackUp: true, connection: { type: "local", sudo: false } },
      unknownFields: new Set(["name"]),
    });
  });
});
