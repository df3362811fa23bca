// A link's DHCP client in its plans: checked for first and started last on create, stopped first on
// delete, and on update stopped first and started last where it goes, comes or starts anew; each start
// undone by a stop (so a failed operation leaves no client) and each stop of a running client by a start.
import { describe, expect, it } from "vitest";
import { dhcpCreateSteps, dhcpDeleteSteps, dhcpStartStep, dhcpUpdateSteps, type EndChange } from "../../../provider/plan/dhcp";
import { dhcpProgram, dhcpStartCommand, dhcpStopCommand } from "../../../provider/plan/dhcpProgram";
import { normalized, dhcpChecked, dhcpStarted, dhcpStopped } from "../steps";

const end = (dhcp: boolean, more: Partial<EndChange["desired"]> = {}) => ({ netns: "ns1", name: "mac1", dhcp, macAddress: "02:00:00:00:00:01", ...more });
const current = (dhcp: boolean, leased = dhcp, more: Partial<EndChange["current"]> = {}) => ({ ...end(dhcp), leased, ...more });

describe("dhcpCreateSteps", () => {
  it("checks for the client first and starts it last, on each end that asks", () => {
    const steps = dhcpCreateSteps([end(true), { netns: undefined, name: "veth1", dhcp: false }, { netns: "ns2", name: "mac1", dhcp: true }]);
    expect(normalized(steps.first)).toStrictEqual([dhcpChecked]);
    expect(normalized(steps.last)).toStrictEqual([dhcpStarted("ns1", "mac1"), dhcpStarted("ns2", "mac1")]);
  });
  it("has nothing without a client", () => {
    expect(dhcpCreateSteps([end(false)])).toStrictEqual({ first: [], last: [] });
  });
  it("replays a start at boot as `dhcp NETNS LINK` (- for the host's namespace)", () => {
    expect(dhcpStartStep(end(true)).replay).toStrictEqual(["dhcp", "ns1", "mac1"]);
    expect(dhcpStartStep({ name: "mac1", dhcp: true }).replay).toStrictEqual(["dhcp", "-", "mac1"]);
  });
});

describe("dhcpUpdateSteps", () => {
  it.each([
    { case: "running, asked, unchanged: its lease goes on", cur: current(true), d: end(true), first: [], last: [] },
    { case: "comes", cur: current(false), d: end(true), first: [dhcpChecked], last: [dhcpStarted("ns1", "mac1")] },
    { case: "goes: stopped, started again on undo", cur: current(true), d: end(false), first: [dhcpStopped("ns1", "mac1", [dhcpStarted("ns1", "mac1")])], last: [] },
    { case: "found dead (refresh: dhcp false, a lease left): started anew", cur: current(false, true), d: end(true), first: [dhcpChecked], last: [dhcpStarted("ns1", "mac1")] },
    { case: "dead and no longer asked: its leftovers taken off, nothing to start on undo", cur: current(false, true), d: end(false), first: [dhcpStopped("ns1", "mac1")], last: [] },
    {
      case: "moved: stopped where it was, started where it goes",
      cur: current(true),
      d: end(true, { netns: "ns2" }),
      first: [dhcpChecked, dhcpStopped("ns1", "mac1", [dhcpStarted("ns1", "mac1")])],
      last: [dhcpStarted("ns2", "mac1")],
    },
    {
      case: "renamed",
      cur: current(true),
      d: end(true, { name: "mac9" }),
      first: [dhcpChecked, dhcpStopped("ns1", "mac1", [dhcpStarted("ns1", "mac1")])],
      last: [dhcpStarted("ns1", "mac9")],
    },
    {
      case: "a new MAC (the client id)",
      cur: current(true),
      d: end(true, { macAddress: "02:00:00:00:00:02" }),
      first: [dhcpChecked, dhcpStopped("ns1", "mac1", [dhcpStarted("ns1", "mac1")])],
      last: [dhcpStarted("ns1", "mac1")],
    },
    { case: "the MAC left to the kernel: no restart", cur: current(true), d: end(true, { macAddress: undefined }), first: [], last: [] },
  ])("$case", ({ cur, d, first, last }) => {
    const steps = dhcpUpdateSteps([{ current: cur, desired: d }]);
    expect(normalized(steps.first)).toStrictEqual(first);
    expect(normalized(steps.last)).toStrictEqual(last);
  });
});

describe("dhcpDeleteSteps", () => {
  it.each([
    { case: "a running client: stopped (released) first", ends: [current(true)], steps: [dhcpStopped("ns1", "mac1")] },
    { case: "a dead one with a lease: its leftovers taken off", ends: [current(false, true)], steps: [dhcpStopped("ns1", "mac1")] },
    { case: "none", ends: [current(false, false)], steps: [] },
  ])("$case", ({ ends, steps }) => {
    expect(normalized(dhcpDeleteSteps(ends))).toStrictEqual(steps);
  });
});

describe("the program's commands", () => {
  it("install the program from standard input on start only", () => {
    expect(dhcpStartCommand("ns1", "mac1", 5).stdin).toMatch(/^#!\/bin\/sh\n# pulumi-iproute2 [0-9a-f]{16}\n/);
    expect(dhcpStopCommand("ns1", "mac1", 5).stdin).toBeUndefined();
  });
  it("take the names as arguments, never as the script's text", () => {
    const command = dhcpStartCommand("n'; reboot #", "mac1", 5);
    expect(command.argv[2]).not.toContain("reboot");
    expect(command.argv.slice(-3)).toStrictEqual(["n'; reboot #", "mac1", "5"]);
  });
});

describe("the program", () => {
  const text = dhcpProgram().text;
  const code = text.split("\n").filter((line) => !line.trimStart().startsWith("#")).join("\n");
  it("touches nothing of the host's but the link's leased address and its proto dhcp routes", () => {
    // Debian's default.script flushes every address of the link and writes /etc/resolv.conf.
    expect(code).not.toMatch(/addr flush|resolv\.conf|hostname |ntp/i);
    expect(code).toMatch(/ip route flush dev "\$link" proto dhcp/);
  });
  it("never uses the distribution's files: its own PID file, event program and no configuration", () => {
    expect(text).toContain('-p "$pidfile" -s "$self"');
    expect(text).not.toMatch(/\/etc\/udhcpc|\/var\/lib\/dhcp|\/run\/dhclient/);
  });
  it("says its version on its second line, which changes with its text", () => {
    expect(text.split("\n")[1]).toBe(dhcpProgram().version);
    expect(dhcpProgram({ programFolder: "/x", runtimeFolder: "/y", unitTemplate: "z@.service" }).version).not.toBe(dhcpProgram().version);
  });
});
