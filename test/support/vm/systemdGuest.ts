// A Debian guest with systemd under QEMU (software emulation, no KVM), for tests that must reboot a
// real machine: build it with buildSystemdGuest() (systemd-guest/build.sh, cached per user), start it
// with startSystemdGuest(), then run commands as root over SSH, reboot it, stop it. The equivalent of
//   qemu-img create -f qcow2 -b $IMAGE -F qcow2 overlay.qcow2
//   qemu-system-x86_64 -M q35 -accel tcg ... -drive if=virtio,file=overlay.qcow2,format=qcow2 \
//     -netdev user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$PORT-:22 -device virtio-net-pci,netdev=n0 \
//     -kernel $KERNEL -initrd $INITRD -append "root=/dev/vda rw console=ttyS0 quiet"
//   ssh -F /dev/null -p $PORT -i $CLIENT_KEY -o StrictHostKeyChecking=yes ... root@127.0.0.1
// QEMU's user-mode network needs no interface or address on the host: the guest's SSH port is
// forwarded from 127.0.0.1 only, and restrict=on keeps the guest from reaching anything else.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { repoRoot } from "../engine";

export interface SystemdGuest {
  /** The base qcow2 image; each start runs on its own overlay, so this never changes. */
  image: string;
  kernel: string;
  initrd: string;
  /** The private key root in the guest accepts. */
  clientKeyFile: string;
  /** The guest's public host key, "ssh-ed25519 AAAA...": pinned, never learned. */
  hostKey: string;
}

/** Builds (or finds in the cache) the systemd test guest. */
export async function buildSystemdGuest(): Promise<SystemdGuest> {
  const script = path.join(repoRoot, "test", "support", "vm", "systemd-guest", "build.sh");
  const { stdout } = await execa("bash", [script], { stderr: "inherit" });
  const value = (key: string) => {
    const found = new RegExp(`^${key}=(.+)$`, "m").exec(stdout)?.[1];
    if (!found) throw new Error(`${script} printed no ${key}=`);
    return found;
  };
  return {
    image: value("PI2_SYSGUEST_IMAGE"),
    kernel: value("PI2_SYSGUEST_KERNEL"),
    initrd: value("PI2_SYSGUEST_INITRD"),
    clientKeyFile: value("PI2_SYSGUEST_CLIENT_KEY"),
    hostKey: value("PI2_SYSGUEST_HOST_KEY"),
  };
}

export interface SshResult {
  stdout: string;
  stderr: string;
  /** ssh's exit code: the command's, or 255 when ssh itself failed (no connection, lost connection). */
  exitCode: number;
}

export interface RunningGuest {
  /** On 127.0.0.1, forwarded to the guest's port 22. */
  sshPort: number;
  /** A known_hosts file holding the pinned host key for [127.0.0.1]:sshPort, for other SSH clients. */
  knownHostsFile: string;
  /** Runs a command as root in the guest. */
  ssh(command: string): Promise<SshResult>;
  waitForSsh(timeoutSeconds: number): Promise<void>;
  /** `systemctl reboot` in the guest, then waits until SSH answers with another boot id. */
  reboot(timeoutSeconds: number): Promise<{ seconds: number }>;
  /** The serial console so far (and QEMU's own messages), for failure messages. */
  console(): string;
  /** Kills QEMU and removes the overlay and the other temporary files. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Guest memory (default 1024). */
  memoryMiB?: number;
  /** How long to wait for SSH after starting QEMU (default 300: a boot takes 20-60 s under TCG). */
  bootTimeoutSeconds?: number;
}

/** Starts the guest on a fresh overlay of its image and waits until SSH works. */
export async function startSystemdGuest(guest: SystemdGuest, options: StartOptions = {}): Promise<RunningGuest> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "pi2-sysguest-"));
  chmodSync(dir, 0o700);
  const overlay = path.join(dir, "overlay.qcow2");
  try {
    await execa("qemu-img", ["create", "-q", "-f", "qcow2", "-b", guest.image, "-F", "qcow2", overlay]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  // The port is free when chosen, but another process may take it before QEMU binds it: QEMU then
  // exits at once, and another port is tried.
  for (let attempt = 1; ; attempt++) {
    const running = new QemuGuest(guest, dir, overlay, await freeLoopbackPort(), options.memoryMiB ?? 1024);
    try {
      await running.waitForSsh(options.bootTimeoutSeconds ?? 300);
      return running;
    } catch (error) {
      const portTaken = running.hasExited() && /host forwarding rule|hostfwd/i.test(running.console());
      if (portTaken && attempt < 3) {
        await running.kill();
        continue;
      }
      await running.stop();
      throw error;
    }
  }
}

/** A port on 127.0.0.1 that nothing listens on now. */
async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

class QemuGuest implements RunningGuest {
  readonly sshPort: number;
  readonly knownHostsFile: string;
  private readonly qemu: ChildProcess;
  private readonly exited: Promise<void>;
  private exitDescription: string | undefined;
  private consoleText = "";
  private qemuMessages = "";
  private readonly killOnExit = () => this.qemu.kill("SIGKILL");

  constructor(
    private readonly guest: SystemdGuest,
    private readonly dir: string,
    overlay: string,
    port: number,
    memoryMiB: number,
  ) {
    this.sshPort = port;
    this.knownHostsFile = path.join(dir, "known_hosts");
    writeFileSync(this.knownHostsFile, `[127.0.0.1]:${port} ${guest.hostKey}\n`, { mode: 0o600 });
    // No -no-reboot: a reboot in the guest resets the machine, and QEMU loads -kernel and -initrd again.
    this.qemu = spawn(
      "qemu-system-x86_64",
      [
        "-M", "q35", "-accel", "tcg", "-cpu", "max", "-smp", "2", "-m", String(memoryMiB),
        "-nodefaults", "-no-user-config", "-display", "none", "-monitor", "none",
        "-serial", "stdio",
        "-drive", `if=virtio,file=${overlay},format=qcow2`,
        "-netdev", `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${port}-:22`,
        // romfile= : no iPXE option ROM, which direct kernel boot does not need and the BIOS would run.
        "-device", "virtio-net-pci,netdev=n0,romfile=",
        "-kernel", guest.kernel, "-initrd", guest.initrd,
        "-append", "root=/dev/vda rw console=ttyS0 quiet",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.qemu.stdout?.on("data", (chunk: Buffer) => (this.consoleText += chunk.toString()));
    this.qemu.stderr?.on("data", (chunk: Buffer) => (this.qemuMessages += chunk.toString()));
    this.exited = new Promise<void>((resolve) => {
      this.qemu.once("error", (error) => {
        this.exitDescription ??= `could not start: ${error.message}`;
        resolve();
      });
      this.qemu.once("exit", (code, signal) => {
        this.exitDescription ??= signal ? `killed by ${signal}` : `exit code ${code}`;
        resolve();
      });
    });
    // A test run that ends without stop() must not leave QEMU running.
    process.once("exit", this.killOnExit);
  }

  hasExited(): boolean {
    return this.exitDescription !== undefined;
  }

  console(): string {
    let text = this.consoleText;
    if (this.qemuMessages) text += `\n[QEMU] ${this.qemuMessages.trimEnd()}`;
    if (this.exitDescription) text += `\n[QEMU ${this.exitDescription}]`;
    return text;
  }

  ssh(command: string): Promise<SshResult> {
    return this.run(command, 10);
  }

  private async run(command: string, connectTimeoutSeconds: number, timeoutMs?: number): Promise<SshResult> {
    const result = await execa(
      "ssh",
      [
        "-F", "/dev/null",
        "-p", String(this.sshPort),
        "-i", this.guest.clientKeyFile,
        "-o", "IdentitiesOnly=yes",
        "-o", "IdentityAgent=none",
        "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=yes",
        "-o", `UserKnownHostsFile=${this.knownHostsFile}`,
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "HostKeyAlgorithms=ssh-ed25519",
        "-o", "UpdateHostKeys=no",
        "-o", `ConnectTimeout=${connectTimeoutSeconds}`,
        // A guest that stops answering (reset, killed) ends the command instead of hanging it; generous
        // because under software emulation a busy guest answers slowly.
        "-o", "ServerAliveInterval=5",
        "-o", "ServerAliveCountMax=6",
        "-o", "LogLevel=ERROR",
        "root@127.0.0.1",
        command,
      ],
      { reject: false, stdin: "ignore", timeout: timeoutMs },
    );
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? 255 };
  }

  /** Polls the guest's boot id over SSH until `wanted` accepts it; returns it. */
  private async pollBootId(timeoutSeconds: number, wanted: (bootId: string) => boolean, what: string): Promise<string> {
    const deadline = performance.now() + timeoutSeconds * 1000;
    let last = "no attempt";
    while (performance.now() < deadline) {
      if (this.hasExited()) throw new Error(`QEMU ended while waiting for ${what}\n${this.consoleTail()}`);
      // Short timeouts: while the guest boots, QEMU accepts the connection and nothing answers.
      const result = await this.run("cat /proc/sys/kernel/random/boot_id", 5, 20_000);
      const bootId = result.stdout.trim();
      if (result.exitCode === 0 && bootId && wanted(bootId)) return bootId;
      last = result.exitCode === 0 ? `boot id ${bootId}` : `exit ${result.exitCode}: ${result.stderr.trim()}`;
      await sleep(1000);
    }
    throw new Error(`no ${what} within ${timeoutSeconds}s (last: ${last})\n${this.consoleTail()}`);
  }

  async waitForSsh(timeoutSeconds: number): Promise<void> {
    await this.pollBootId(timeoutSeconds, () => true, "SSH to the guest");
  }

  async reboot(timeoutSeconds: number): Promise<{ seconds: number }> {
    const before = await this.pollBootId(30, () => true, "SSH before the reboot");
    const started = performance.now();
    // The session may end before systemctl returns (255): that is the reboot under way.
    const result = await this.run("systemctl reboot", 10, 60_000);
    if (result.exitCode !== 0 && result.exitCode !== 255) {
      throw new Error(`systemctl reboot: exit ${result.exitCode}: ${result.stderr.trim()}`);
    }
    const remaining = timeoutSeconds - (performance.now() - started) / 1000;
    await this.pollBootId(remaining, (bootId) => bootId !== before, "SSH after the reboot (a new boot id)");
    return { seconds: (performance.now() - started) / 1000 };
  }

  private consoleTail(): string {
    const text = this.console();
    return `--- guest console (last 6000 characters) ---\n${text.slice(-6000)}`;
  }

  /** Ends QEMU and keeps the temporary folder. */
  async kill(): Promise<void> {
    if (!this.hasExited()) {
      this.qemu.kill("SIGTERM");
      const timer = setTimeout(() => this.qemu.kill("SIGKILL"), 5000);
      await this.exited;
      clearTimeout(timer);
    }
    process.removeListener("exit", this.killOnExit);
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
