// The DHCP client's report (its program's `status`): whether it runs, and its lease as outputs show it.
// The lease file's values came from a DHCP server: anything but the program's own format is an error.
import { describe, expect, it } from "vitest";
import { dhcpObserved, parseDhcpStatus } from "../../../provider/state/dhcpLease";

const lease = ["format 1", "address 10.93.0.108", "prefix 24", "gateway 10.93.0.1", "server 10.93.0.1", "lease 120", "bound 1796554737"];
const report = (first: string, lines: string[] = lease) => [first, ...lines, ""].join("\n");

describe("parseDhcpStatus", () => {
  it("reads a running client's lease (as seen from udhcpc and dnsmasq)", () => {
    expect(parseDhcpStatus(report("client running"), "mac1")).toStrictEqual({
      running: true,
      lease: { address: "10.93.0.108", prefixLength: 24, gateway: "10.93.0.1", server: "10.93.0.1", leaseTime: 120 },
    });
  });
  it("reads a dead client whose lease file is left", () => {
    expect(parseDhcpStatus(report("client stopped"), "mac1")).toMatchObject({ running: false, lease: { address: "10.93.0.108" } });
  });
  it("reads a client with no lease yet", () => {
    expect(parseDhcpStatus("client running\n", "mac1")).toStrictEqual({ running: true });
  });
  it("reads a lease without a router: no gateway", () => {
    const noRouter = lease.map((line) => (line.startsWith("gateway") ? "gateway " : line));
    expect(parseDhcpStatus(report("client running", noRouter), "mac1").lease).toStrictEqual({ address: "10.93.0.108", prefixLength: 24, server: "10.93.0.1", leaseTime: 120 });
  });
  it.each([
    { case: "an unknown first line", text: "client maybe\n", message: 'reported "client maybe"' },
    { case: "a newer format", text: report("client running", ["format 2", ...lease.slice(1)]), message: "format" },
    { case: "an address that is not IPv4", text: report("client running", lease.map((l) => (l.startsWith("address") ? "address 10.0.0.1; reboot" : l))), message: "address" },
    { case: "a prefix beyond 32", text: report("client running", lease.map((l) => (l.startsWith("prefix") ? "prefix 33" : l))), message: "prefix" },
    { case: "a lease time that is not a number", text: report("client running", lease.map((l) => (l.startsWith("lease") ? "lease -1" : l))), message: "lease" },
  ])("refuses $case, naming the link", ({ text, message }) => {
    expect(() => parseDhcpStatus(text, "mac1")).toThrow(message);
    expect(() => parseDhcpStatus(text, "mac1")).toThrow('"mac1"');
  });
});

describe("dhcpObserved", () => {
  it("says a failed read with what the program said", () => {
    const result = { command: { argv: [] }, exitCode: 3, stdout: "", stderr: "/run/pulumi-iproute2 is owned by uid 1000, not root\n" };
    expect(() => dhcpObserved(result, "mac1")).toThrow('reading the DHCP client of "mac1" failed: /run/pulumi-iproute2 is owned by uid 1000, not root');
  });
});
