// Simulated remote hosts: each a network namespace with its own mount namespace (so its /run/netns is
// its own: two hosts can both have a namespace "ns1") running a real sshd with host keys made for this
// run, listening only on its address on a private switch namespace. The test runner reaches them the
// way users reach hosts behind a gateway: an ssh_config that says `ProxyCommand ip netns exec <switch>
// nc %h %p`, with a known_hosts file holding their keys.
//
// Every host has its own /etc (an overlay on this machine's) and users of its own (bind-mounted passwd,
// group, shadow and sudoers, inside its mount namespace only): `deploy`, with passwordless sudo;
// `askpw`, whose sudo wants a password; `ipsh`, whose sudo runs only ip and sh (what docs/resources.md asks
// for); and `iponly`, whose sudo runs only ip.
// Nothing here touches the host namespace's interfaces or addresses. stop() removes all of it.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { bootFolder, bootUnit, bootUnitEnabled, type SshConnection } from "../../provider/model";
import { dhcpPaths } from "../../provider/plan/dhcpProgram";
import { sshConnection } from "../../provider/schema/connection";
import { ip, runId } from "./netns";

export interface SshHost {
  /** The host's address, as connections name it. */
  address: string;
  netns: string;
  /** "ssh-ed25519 AAAA..." */
  hostKey: string;
  /** What sshd logged so far (one "Connection from" line per TCP connection). */
  log(): string;
  /** Runs a command inside the host (its network and mount namespaces), as an outside check. */
  exec(...argv: string[]): Promise<string>;
  /** The same, for a command that may fail: its exit code and output, never an error. */
  run(...argv: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** Kills sshd and everything it runs (as a crash would); `start` brings sshd back, same keys. */
  kill(): Promise<void>;
  /** Kills sshd only: connections drop, but what their sessions run goes on (as a network cut would). */
  killSshd(): Promise<void>;
  /**
   * With slowableIp: from now on each `ip` whose arguments contain `pattern` waits a second before it
   * runs, after creating /usr/local/sbin/started; undefined makes ip quick again.
   */
  slowIp(pattern: string | undefined): Promise<void>;
  start(): Promise<void>;
}

export interface SshHosts {
  hosts: SshHost[];
  /** The client's private key (OpenSSH form), authorized for root on every host. */
  clientKey: string;
  /** Another authorized key, encrypted with `passphrase`. */
  lockedKey: { key: string; passphrase: string };
  /** An ssh_config (connection.sshConfigFile) that reaches the hosts and knows their keys. */
  sshConfigFile: string;
  stop(): Promise<void>;
}

export interface SshHostOptions {
  /** More sshd_config lines for host `index` (e.g. a lower MaxSessions). */
  sshdConfig?: (index: number) => string[];
  /** Give host `index` an `ip` that can be made slow (SshHost.slowIp), to cut connections mid-operation. */
  slowableIp?: (index: number) => boolean;
}

/**
 * sh that puts whiteouts for the boot description's files (docs/reboots.md, docs/dhcp.md) in `hide`, a
 * lower layer of its own between an overlay's upper layer and this machine's /etc
 * (ownEtcOverlay): that /etc then has none of this machine's, also when this machine makes them later
 * (the files running beside this one do), and also after the overlay's own came and went (a whiteout
 * in the upper layer goes with an rmdir there, and this machine's folder shows again).
 */
function hideBootFiles(hide: string): string {
  const files = [bootFolder, bootUnit, bootUnitEnabled, `${path.dirname(bootUnit)}/${dhcpPaths.unitTemplate}`].map((file) => path.join(hide, path.relative("/etc", file)));
  const folders = [...new Set(files.map((file) => path.dirname(file)))];
  return [`mkdir -p ${folders.map((folder) => `'${folder}'`).join(" ")}`, ...files.map((file) => `mknod '${file}' c 0 0`)].join(" && ");
}

/** sh that mounts an overlay over /etc with the boot files hidden (hideBootFiles), its layers in `dir` (upper and work made already). */
export const ownEtcOverlay = (dir: string): string =>
  `${hideBootFiles(`${dir}/hide`)} && mount -t overlay overlay -o lowerdir=${dir}/hide:/etc,upperdir=${dir}/upper,workdir=${dir}/work /etc`;

export async function startSshHosts(count: number, workDir: string, options: SshHostOptions = {}): Promise<SshHosts> {
  // Named per test file (its worker's pid): test files run two at a time, each with hosts of its own.
  const own = `${runId}-${process.pid.toString(36)}`;
  const net = `${own}-sshnet`;
  const dir = path.join(workDir, `ssh-${runId}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o711 }); // users other than root read authorized_keys here
  const sshds: ResultPromise[] = [];
  const hosts: SshHost[] = [];
  const namespaces = [net];

  const stop = async () => {
    // Everything running in the hosts and the switch: sshd and its sessions (the shells a client's
    // master keeps open), the proxies' nc, the holders. Left running, they would keep the namespaces.
    for (const name of namespaces) {
      const pids = (await execa("ip", ["netns", "pids", name], { reject: false })).stdout.split("\n").filter(Boolean);
      if (pids.length > 0) await execa("kill", ["-9", ...pids], { reject: false });
    }
    for (const sshd of sshds) sshd.kill("SIGTERM");
    await Promise.allSettled(sshds);
    for (const name of namespaces.reverse()) await ip("netns", "del", name).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await ip("netns", "add", net);
    await ip("-n", net, "link", "set", "lo", "up");
    await ip("-n", net, "link", "add", "br0", "type", "bridge");
    await ip("-n", net, "addr", "add", "10.90.255.254/16", "dev", "br0");
    await ip("-n", net, "link", "set", "br0", "up");
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // sshd's privilege separation folder

    const clientKeyFile = path.join(dir, "client");
    await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "pi2-test-client", "-f", clientKeyFile]);
    const lockedKeyFile = path.join(dir, "locked");
    const passphrase = `correct horse ${process.pid}`;
    await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", "pi2-test-locked", "-f", lockedKeyFile]);
    writeFileSync(path.join(dir, "authorized_keys"), readFileSync(`${clientKeyFile}.pub`, "utf8") + readFileSync(`${lockedKeyFile}.pub`, "utf8"), { mode: 0o644 });
    const accounts = writeAccounts(dir);
    const knownHosts: string[] = [];

    for (let index = 0; index < count; index++) {
      const netns = `${own}-sshhost${index}`;
      const address = `10.90.${Math.floor((index + 1) / 250)}.${((index + 1) % 250) + 1}`;
      namespaces.push(netns);
      await ip("netns", "add", netns);
      await ip("-n", netns, "link", "set", "lo", "up");
      await ip("-n", net, "link", "add", `port${index}`, "type", "veth", "peer", "name", "eth0", "netns", netns);
      await ip("-n", net, "link", "set", `port${index}`, "master", "br0");
      await ip("-n", net, "link", "set", `port${index}`, "up");
      await ip("-n", netns, "addr", "add", `${address}/16`, "dev", "eth0");
      await ip("-n", netns, "link", "set", "eth0", "up");

      const hostDir = path.join(dir, `host${index}`);
      mkdirSync(hostDir, { mode: 0o700 });
      const hostKeyFile = path.join(hostDir, "ssh_host_ed25519_key");
      await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", netns, "-f", hostKeyFile]);
      const hostKey = readFileSync(`${hostKeyFile}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
      knownHosts.push(`${address} ${hostKey}`);
      const config = path.join(hostDir, "sshd_config");
      writeFileSync(
        config,
        [
          `ListenAddress ${address}`,
          `HostKey ${hostKeyFile}`,
          `PidFile ${path.join(hostDir, "sshd.pid")}`,
          `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
          "StrictModes no", // the keys live in a test folder, not in ~/.ssh
          "PermitRootLogin prohibit-password",
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          "UsePAM no",
          "LogLevel VERBOSE",
          ...(options.sshdConfig?.(index) ?? []),
          "",
        ].join("\n"),
      );
      // Its own mount namespace (ip netns exec makes one) with its own /run/netns and users, then sshd.
      // The mount namespace lives in a holder process, so sshd can be killed and started again in it.
      const logFile = path.join(hostDir, "sshd.log");
      const binds = accounts.map(([file, target]) => `mount --bind ${file} ${target}`).join(" && ");
      // root's PATH on the host has /usr/local/sbin before /usr/sbin: a slowable ip goes there.
      const slowable = options.slowableIp?.(index) ? ` && mount -t tmpfs tmpfs /usr/local/sbin && cp ${slowIpScript(dir)} /usr/local/sbin/ip` : "";
      // Its own /etc too, over this machine's (an overlay): what a resource writes there (its part of
      // the boot description, the unit) stays the host's, as on a machine of its own.
      const etc = path.join(hostDir, "etc");
      mkdirSync(path.join(etc, "upper"), { recursive: true, mode: 0o755 });
      mkdirSync(path.join(etc, "work"), { recursive: true, mode: 0o700 });
      // It has none of this machine's: its own parts, programs and units only (ownEtcOverlay).
      const ownEtc = ownEtcOverlay(etc);
      const holder = execa("ip", ["netns", "exec", netns, "sh", "-c", `mount -t tmpfs tmpfs /run/netns && ${ownEtc} && ${binds}${slowable} && exec sleep infinity`], {
        reject: false,
        stdin: "ignore",
      });
      sshds.push(holder);
      await waitFor(() => readFileSync(`/proc/${holder.pid}/cmdline`, "utf8").startsWith("sleep"), 10_000, `the namespace of ${address}`);
      const inHost = (...argv: string[]) => execa("nsenter", ["-t", String(holder.pid), "-m", "-n", "--", ...argv]);
      let listened = 0;
      const start = async () => {
        const sshd = execa("nsenter", ["-t", String(holder.pid), "-m", "-n", "--", "/usr/sbin/sshd", "-D", "-e", "-f", config], {
          reject: false,
          stdin: "ignore",
          stderr: { file: logFile, append: true },
        });
        sshds.push(sshd);
        listened += 1;
        await waitFor(() => (readFileSync(logFile, "utf8").match(/Server listening/g) ?? []).length >= listened, 10_000, `sshd on ${address}`);
      };
      await start();
      hosts.push({
        address,
        netns,
        hostKey,
        log: () => readFileSync(logFile, "utf8"),
        exec: async (...argv) => (await inHost(...argv)).stdout,
        run: async (...argv) => {
          const r = await execa("nsenter", ["-t", String(holder.pid), "-m", "-n", "--", ...argv], { reject: false, stdin: "ignore" });
          return { exitCode: r.exitCode ?? 1, stdout: r.stdout, stderr: r.stderr };
        },
        // Every process of the host but the holder: sshd, its sessions, whatever they run.
        kill: async () => {
          const pids = (await execa("ip", ["netns", "pids", netns])).stdout.split("\n").filter((pid) => pid && Number(pid) !== holder.pid);
          if (pids.length > 0) await execa("kill", ["-9", ...pids], { reject: false });
        },
        killSshd: async () => {
          const pids = (await execa("ip", ["netns", "pids", netns])).stdout.split("\n").filter((pid) => {
            try {
              return pid !== "" && readFileSync(`/proc/${pid}/comm`, "utf8").startsWith("sshd");
            } catch (error) {
              if (processGone(error)) return false;
              throw error;
            }
          });
          if (pids.length > 0) await execa("kill", ["-9", ...pids], { reject: false });
        },
        slowIp: async (pattern) => {
          await inHost("rm", "-f", "/usr/local/sbin/started");
          await (pattern === undefined ? inHost("rm", "-f", "/usr/local/sbin/slow") : inHost("sh", "-c", 'printf %s "$1" >/usr/local/sbin/slow', "-", pattern));
        },
        start,
      });
    }

    const knownHostsFile = path.join(dir, "known_hosts");
    writeFileSync(knownHostsFile, `${knownHosts.join("\n")}\n`, { mode: 0o600 });
    const sshConfigFile = path.join(dir, "ssh_config");
    writeFileSync(
      sshConfigFile,
      `Host 10.90.*\n  ProxyCommand ip netns exec ${net} nc %h %p\n  UserKnownHostsFile ${knownHostsFile}\n  User root\n`,
      { mode: 0o600 },
    );
    return {
      hosts,
      clientKey: readFileSync(clientKeyFile, "utf8"),
      lockedKey: { key: readFileSync(lockedKeyFile, "utf8"), passphrase },
      sshConfigFile,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** An ip that, while /usr/local/sbin/slow names a pattern its arguments contain, waits a second first. */
function slowIpScript(dir: string): string {
  const file = path.join(dir, "slow-ip");
  const script = [
    "#!/bin/sh",
    'pattern=$(cat /usr/local/sbin/slow 2>/dev/null) && case " $* " in *"$pattern"*) : >/usr/local/sbin/started; sleep 1 ;; esac',
    'exec /usr/sbin/ip "$@"',
    "",
  ].join("\n");
  writeFileSync(file, script, { mode: 0o755 });
  return file;
}

/** passwd, group, shadow, sudoers with the test users added, and root's home: [source, what it covers]. */
function writeAccounts(dir: string): [string, string][] {
  const home = path.join(dir, "home");
  mkdirSync(home, { mode: 0o755, recursive: true });
  const lines = (...items: string[]) => items.map((item) => `${item}\n`).join("");
  const files: [string, string, string, number][] = [
    [
      "passwd",
      "/etc/passwd",
      readFileSync("/etc/passwd", "utf8") +
        lines(`deploy:x:1500:1500::${home}:/bin/sh`, `askpw:x:1501:1501::${home}:/bin/sh`, `ipsh:x:1502:1502::${home}:/bin/sh`, `iponly:x:1503:1503::${home}:/bin/sh`),
      0o644,
    ],
    ["group", "/etc/group", readFileSync("/etc/group", "utf8") + lines("deploy:x:1500:", "askpw:x:1501:", "ipsh:x:1502:", "iponly:x:1503:"), 0o644],
    ["shadow", "/etc/shadow", readFileSync("/etc/shadow", "utf8") + lines(...["deploy", "askpw", "ipsh", "iponly"].map((user) => `${user}:*:20000:0:99999:7:::`)), 0o640],
    [
      "sudoers",
      "/etc/sudoers",
      lines(
        "Defaults env_reset",
        "root ALL=(ALL:ALL) ALL",
        "deploy ALL=(ALL:ALL) NOPASSWD: ALL",
        "askpw ALL=(ALL:ALL) ALL",
        // Wherever sudo finds them: /usr/local/sbin/ip is the slowable ip of some hosts.
        "Cmnd_Alias IP = /usr/sbin/ip, /sbin/ip, /usr/bin/ip, /bin/ip, /usr/local/sbin/ip",
        "Cmnd_Alias SH = /usr/bin/sh, /bin/sh",
        "ipsh ALL=(root) NOPASSWD: IP, SH",
        "iponly ALL=(root) NOPASSWD: IP",
      ),
      0o440,
    ],
  ];
  const written = files.map(([name, target, text, mode]): [string, string] => {
    const file = path.join(dir, name);
    writeFileSync(file, text, { mode });
    return [file, target];
  });
  // An empty home for root: a simulated host must not run this machine's shell start-up files (here,
  // root's .bashrc runs pyenv, which sleeps on a lock when a killed session left it behind).
  const rootHome = path.join(dir, "root-home");
  mkdirSync(rootHome, { mode: 0o700, recursive: true });
  return [...written, [rootHome, "/root"]];
}

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;
const fileMissing = (error: unknown) => errorCode(error) === "ENOENT";
/** Reading /proc/PID of a process that has exited: gone before the open (ENOENT) or during the read (ESRCH). */
const processGone = (error: unknown) => fileMissing(error) || errorCode(error) === "ESRCH";

async function waitFor(ready: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (ready()) return;
    } catch (error) {
      if (!fileMissing(error)) throw error; // a file not there yet is waited for; other failures are not
    }
    if (Date.now() > deadline) throw new Error(`${what} did not start within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A connection as the schema makes it (its defaults applied), for tests that make a runner themselves. */
export function parsedSshConnection(raw: unknown): SshConnection {
  const connection = sshConnection.parse(raw);
  if (connection.type !== "ssh") throw new Error("not an SSH connection");
  return connection;
}

/**
 * The SSH masters to `address` of one set of hosts (`sshConfigFile`, which each master names with -F),
 * found by their process arguments: the control sockets of this machine's folder are shared with the
 * files that run beside this one, whose hosts have the same addresses, and a check through another
 * file's socket would count as a use and keep its master up.
 */
export async function mastersTo(address: string, sshConfigFile: string): Promise<{ socket: string; pid: number }[]> {
  const { stdout } = await execa("ps", ["-eo", "pid=,args="]);
  const masters = [];
  for (const line of stdout.split("\n")) {
    const [, pid, args = ""] = /^\s*(\d+)\s+(.*)$/.exec(line) ?? [];
    const socket = /(?:^| )-o ControlPath=(\S+)/.exec(args)?.[1];
    if (socket && args.includes(` -F ${sshConfigFile}`) && args.split(" ").includes(address)) masters.push({ socket, pid: Number(pid) });
  }
  return masters;
}
