// A real VM on a Macvtap made by this package: a QEMU guest (software emulation, a Debian kernel and a
// busybox initramfs built from Debian packages) boots with a virtio-net NIC on the macvtap's file
// descriptor and the macvtap's MAC, and pings a macvlan in a service namespace on the same parent.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { bootGuest, buildGuest, type Guest } from "../../examples/vm-macvtap/qemu";
import type { vmMacvtapProgram } from "../../examples/vm-macvtap/program";
import { exampleProgram, testStack, type TestStack } from "../support/stack";

const quiet = { onOutput: () => undefined };

describe("a VM on a Macvtap, end to end", () => {
  const prefix = `${inject("runId")}-vm-`;
  // Its own node path: /dev/tap<ifindex> can be another namespace's on a busy machine.
  const tapDevicePath = `/dev/${inject("runId")}-vmtap`;
  let s: TestStack;
  let guest: Guest;
  let outputs: { tapDevice: string; macAddress: string; guestAddress: string; serviceAddress: string };

  beforeAll(async () => {
    guest = await buildGuest();
    const { vmMacvtapProgram: program } = exampleProgram<{ vmMacvtapProgram: typeof vmMacvtapProgram }>("vm-macvtap");
    s = await testStack("vm", program, { namePrefix: prefix, tapDevicePath });
    const up = await s.stack.up(quiet);
    outputs = Object.fromEntries(Object.entries(up.outputs).map(([key, output]) => [key, output.value])) as typeof outputs;
  });
  afterAll(async () => s?.dispose());

  it("boots a guest whose NIC is the macvtap; it pings the service's macvlan", async () => {
    expect(outputs.tapDevice).toBe(tapDevicePath);
    const result = await bootGuest({
      guest,
      tapDevice: outputs.tapDevice,
      macAddress: outputs.macAddress,
      guestAddress: outputs.guestAddress,
      ping: outputs.serviceAddress,
      timeoutSeconds: 90,
    });
    expect(result.verdict, result.console).toMatch(/^PI2-GUEST-PING-OK/);
  });

  it("gets no answer with any other MAC: frames to it never reach the guest", async () => {
    const result = await bootGuest({
      guest,
      tapDevice: outputs.tapDevice,
      macAddress: "52:54:00:12:34:56",
      guestAddress: outputs.guestAddress,
      ping: outputs.serviceAddress,
      timeoutSeconds: 90,
    });
    expect(result.verdict, result.console).toMatch(/^PI2-GUEST-PING-FAIL/);
  });

  it("destroys the stack and the device node it made", async () => {
    await s.stack.destroy(quiet);
    expect(existsSync(tapDevicePath)).toBe(false);
  });
});
