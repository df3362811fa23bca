// Starting a VM on a Macvtap: QEMU gets the tap device as an open file descriptor (fd 3) and the
// macvtap's MAC for its virtio-net NIC, the equivalent of
//   qemu-system-x86_64 ... -netdev tap,id=n0,fd=3 -device virtio-net-pci,netdev=n0,mac=$MAC 3<>$TAP_DEVICE
// With libvirt, the same stack outputs fill <interface type='direct'><source dev='vmtap0' mode='bridge'/>
// <mac address='$MAC'/></interface>.
import { closeSync, openSync } from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { execa } from "execa";
import { repoRoot } from "../engine";

export interface Guest {
  kernel: string;
  initrd: string;
}

/** Builds (or finds in the cache) the test guest: a Debian kernel and a busybox initramfs. */
export async function buildGuest(): Promise<Guest> {
  const script = path.join(repoRoot, "test", "support", "vm", "guest", "build-guest.sh");
  const { stdout } = await execa("bash", [script], { stderr: "inherit" });
  const value = (key: string) => new RegExp(`^${key}=(.+)$`, "m").exec(stdout)?.[1] ?? "";
  return { kernel: value("PI2_GUEST_KERNEL"), initrd: value("PI2_GUEST_INITRD") };
}

export interface BootOptions {
  guest: Guest;
  /** The Macvtap's tapDevice output. */
  tapDevice: string;
  /** The Macvtap's macAddress output. */
  macAddress: string;
  /** The guest's address, e.g. 10.88.0.3/24, and the address it pings. */
  guestAddress: string;
  ping: string;
  /** How long to wait for the guest's verdict. */
  timeoutSeconds: number;
}

export interface BootResult {
  /** The guest's verdict line: PI2-GUEST-PING-OK ... or PI2-GUEST-PING-FAIL ... */
  verdict: string;
  seconds: number;
  console: string;
}

/** Boots the guest under software emulation, reads its serial console for the verdict, stops it. */
export async function bootGuest(options: BootOptions): Promise<BootResult> {
  const tap = openSync(options.tapDevice, "r+");
  const started = performance.now();
  let consoleText = "";
  // child_process rather than execa: QEMU must inherit the tap device as fd 3.
  const qemu = spawn(
    "qemu-system-x86_64",
    [
      "-M", "q35", "-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", "256",
      "-nodefaults", "-no-user-config", "-display", "none", "-monitor", "none", "-no-reboot",
      "-serial", "stdio",
      "-kernel", options.guest.kernel, "-initrd", options.guest.initrd,
      "-append", `console=ttyS0 quiet panic=-1 pi2.ip=${options.guestAddress} pi2.ping=${options.ping}`,
      "-netdev", "tap,id=n0,fd=3",
      "-device", `virtio-net-pci,netdev=n0,mac=${options.macAddress}`,
    ],
    { stdio: ["ignore", "pipe", "pipe", tap] },
  );
  closeSync(tap); // QEMU has its own copy
  const exited = new Promise<void>((resolve) => qemu.once("exit", () => resolve()));
  const verdictLine = () => /PI2-GUEST-PING-(OK|FAIL)[^\r\n]*/.exec(consoleText)?.[0];
  try {
    const verdict = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve(`no verdict within ${options.timeoutSeconds}s`), options.timeoutSeconds * 1000);
      const done = (line: string) => {
        clearTimeout(timer);
        resolve(line);
      };
      qemu.stdout?.on("data", (chunk: Buffer) => {
        consoleText += chunk.toString();
        const line = verdictLine();
        if (line) done(line);
      });
      qemu.stderr?.on("data", (chunk: Buffer) => (consoleText += chunk.toString()));
      void exited.then(() => done(verdictLine() ?? "QEMU exited without a verdict"));
    });
    return { verdict, seconds: (performance.now() - started) / 1000, console: consoleText };
  } finally {
    if (qemu.exitCode === null) qemu.kill("SIGKILL");
    await exited;
  }
}
