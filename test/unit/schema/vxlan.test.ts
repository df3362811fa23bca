// Vxlan's arguments through validateArgs: what is refused before anything touches a host (and which
// property the failure names), the defaults, and what comes out canonical.
import { describe, expect, it } from "vitest";
import { vxlanArgs } from "../../../provider/schema/vxlan";
import { UNKNOWN, validateArgs } from "../../../provider/schema/validate";
import { expectFailure, validArgs, type BadRow } from "./expectations";

const base = { name: "vx0", vni: 42 };

function bad(label: string, extra: Record<string, unknown>, property: string, reason: string): BadRow {
  return { case: label, raw: { ...base, ...extra }, property, reason };
}

const badRows: BadRow[] = [
  bad("no vni", { vni: undefined }, "vni", "is required"),
  bad("vni above 24 bits (ip's parser would exit the batch)", { vni: 16777216 }, "vni", "at most 16777215"),
  bad("negative vni", { vni: -1 }, "vni", "must not be negative"),
  bad("fractional vni", { vni: 1.5 }, "vni", "whole number"),
  bad("dstPort 0 (the kernel would take 8472)", { dstPort: 0 }, "dstPort", "at least 1"),
  bad("dstPort 65536", { dstPort: 65536 }, "dstPort", "at most 65535"),
  bad("remote not an address", { remote: "host-b" }, "remote", "valid IPv4 or IPv6"),
  bad("remote multicast", { remote: "239.1.1.1" }, "remote", "unicast"),
  bad("remote 0.0.0.0 (ip reads it as none)", { remote: "0.0.0.0" }, "remote", "unspecified"),
  bad("local ::", { local: "::" }, "local", "unspecified"),
  bad("remote link-local (the kernel: Invalid combination of local and remote address scopes)", { remote: "fe80::2" }, "remote", "link-local"),
  bad("local link-local", { local: "FEBF::1", underlay: "eth0" }, "local", "link-local"),
  bad("group unicast", { group: "10.1.1.1", underlay: "eth0" }, "group", "multicast"),
  bad("remote and group both", { remote: "10.0.0.2", group: "239.1.1.1", underlay: "eth0" }, "group", "one or the other"),
  bad("group without its underlay", { group: "239.1.1.1" }, "underlay", "needed with group"),
  bad("an IPv6 group without its underlay", { group: "ff05::1" }, "underlay", "needed with group"),
  bad("remote also in remotes", { remote: "10.0.0.2", remotes: ["10.0.0.3", "10.0.0.2"] }, "remotes[1]", "repeats remote"),
  bad("a multicast entry in remotes (the kernel takes it)", { remotes: ["239.1.1.1"] }, "remotes[0]", "unicast"),
  bad("remotes repeating an address", { remotes: ["10.0.0.3", "10.0.0.3"] }, "remotes", "must not repeat"),
  bad("local IPv4, remote IPv6", { local: "10.0.0.1", remote: "fd00::2" }, "remote", "same address family as local"),
  bad("remote IPv6, a remotes entry IPv4", { remote: "fd00::2", remotes: ["10.0.0.3"] }, "remotes[0]", "same address family as remote"),
  // The kernel takes a tunnel with no end given for IPv4, and refuses an IPv6 flood entry on it.
  bad("IPv6 remotes on a tunnel with no IPv6 end", { remotes: ["fd00::2"] }, "remotes", "need an IPv6 local, remote or group"),
  bad("underlay named as itself", { underlay: "vx0" }, "underlay", "must differ from name"),
  bad("underlay with a space", { underlay: "eth 0" }, "underlay", "whitespace"),
  bad("master named as itself", { master: "vx0" }, "master", "not the link itself"),
  bad("learning not a boolean", { learning: "yes" }, "learning", "true or false"),
];

describe("Vxlan arguments", () => {
  it.each(badRows)("refuses $case, naming $property", (row) => expectFailure(vxlanArgs, row));

  it("defaults dstPort to 4789, learning on and no remotes; canonical addresses", () => {
    expect(validArgs(vxlanArgs, { ...base, local: "FD00:0::1", remotes: ["fd00::0:3"] })).toMatchObject({
      vni: 42,
      dstPort: 4789,
      learning: true,
      remotes: ["fd00::3"],
      local: "fd00::1",
    });
  });

  it("takes a group with its underlay, IPv6 ones too, and the remote and flood list apart", () => {
    expect(validArgs(vxlanArgs, { ...base, group: "ff05::2", underlay: "eth0", local: "fd00::1" })).toMatchObject({ group: "ff05::2", underlay: "eth0" });
    expect(validArgs(vxlanArgs, { ...base, remote: "10.0.0.2", remotes: ["10.0.0.3"] })).toMatchObject({ remote: "10.0.0.2", remotes: ["10.0.0.3"] });
  });

  it("skips the rules that read a value not known yet", () => {
    expect(validateArgs(vxlanArgs, { ...base, remote: UNKNOWN, remotes: ["10.0.0.2"] }).ok).toBe(true);
  });
});
