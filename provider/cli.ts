#!/usr/bin/env node
// `pulumi-iproute2 scan`: reads a host's namespaces, veth pairs and macvlan/macvtap children (locally,
// or over SSH with the same transport and host-key rules as the resources) and prints a Pulumi program
// that adopts them (and lists what a stack's mark is on under its owner, or with --stack writes that
// stack's as its resources), or a Mermaid flowchart of them. Reads only; never changes the host.
import { parseArgs } from "node:util";
import { z } from "zod";
import { readIdentity, UsageError, writeOut } from "./cliFiles";
import { runnerFor } from "./exec/connect";
import { closeLocalShells } from "./exec/local";
import { closeSshMasters } from "./exec/ssh";
import { hostLabel } from "./labels";
import { jumpHost, type Connection } from "./model";
import { layoutOf } from "./scan/layout";
import { mermaidOf } from "./scan/mermaid";
import { readHost } from "./scan/readHost";
import { programOf, type ProgramConnection } from "./scan/typescript";
import { connection as connectionSchema } from "./schema/connection";
import { asciiEscaped } from "./shape";

const usage = `Usage: pulumi-iproute2 scan [options]

Reads a host's network namespaces, veth pairs and macvlan/macvtap links, and prints a Pulumi program
that adopts them (--format ts) or a Mermaid flowchart of them (--format mermaid). What a stack made
carries its mark (a link's alias): the program lists it under its owner, and leaves it to that stack.
It changes nothing.

  --netns NAME          scan this named namespace (repeatable; default: every named namespace)
  --host                scan the host's own namespace too
  --format ts|mermaid   what to print (default: ts)
  --out FILE            write it to FILE, never through a symbolic link (default: standard output)
  --stack PROJECT/STACK write what this stack made (its mark is on it) as its resources, without adopt:
                        run as that stack, the program resumes them (a lost state rebuilt); what other
                        stacks marked is only listed, under its owner, as everything marked is without it
  --sudo                run ip through sudo -n
  --ssh [USER@]HOST[:PORT]   scan another machine over SSH (your agent, ~/.ssh/config and known_hosts apply)
    --identity FILE     your private key file, mode 600, without a passphrase (load one with a
                        passphrase into your agent instead); the program reads it from pulumi config
    --host-key KEY      pin the host's key ("ssh-ed25519 AAAA...") instead of known_hosts
    --known-hosts FILE  a known_hosts file instead of yours
    --ssh-config FILE   an ssh_config instead of ~/.ssh/config
    --jump [USER@]HOST[:PORT]   one jump host;  --jump-host-key KEY pins its key
  --help                this text

A progress line per namespace goes to standard error. Exit code 0 on success, 1 when the scan fails,
2 on bad usage.`;

const options = {
  netns: { type: "string", multiple: true },
  host: { type: "boolean" },
  format: { type: "string" },
  out: { type: "string" },
  stack: { type: "string" },
  sudo: { type: "boolean" },
  ssh: { type: "string" },
  identity: { type: "string" },
  "host-key": { type: "string" },
  "known-hosts": { type: "string" },
  "ssh-config": { type: "string" },
  jump: { type: "string" },
  "jump-host-key": { type: "string" },
  help: { type: "boolean" },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>["values"];

/** The connection the flags describe, checked by the same schema as a resource's `connection`. */
function connectionOf(flags: Flags): { connection: Connection; program?: ProgramConnection } {
  if (flags.ssh === undefined) {
    for (const flag of ["identity", "host-key", "known-hosts", "ssh-config", "jump", "jump-host-key"] as const) {
      if (flags[flag] !== undefined) throw new UsageError(`--${flag} needs --ssh`);
    }
    return { connection: { type: "local", sudo: flags.sudo ?? false, persist: true } };
  }
  const match = jumpHost.exec(flags.ssh);
  if (!match || flags.ssh.startsWith("-")) throw new UsageError(`--ssh: must be [user@]host[:port], not "${flags.ssh}"`);
  const [, user, host = "", port] = match;
  const privateKey = flags.identity !== undefined ? readIdentity(flags.identity) : undefined;
  const raw = {
    type: "ssh",
    host: host.replace(/^\[|\]$/g, ""),
    ...(port !== undefined && { port: Number(port) }),
    ...(user !== undefined && { user }),
    ...(privateKey !== undefined && { privateKey }),
    ...(flags["host-key"] !== undefined && { hostKey: flags["host-key"] }),
    ...(flags["known-hosts"] !== undefined && { knownHostsFile: flags["known-hosts"] }),
    ...(flags["ssh-config"] !== undefined && { sshConfigFile: flags["ssh-config"] }),
    ...(flags.jump !== undefined && { proxyJump: flags.jump }),
    ...(flags["jump-host-key"] !== undefined && { proxyJumpHostKey: flags["jump-host-key"] }),
    sudo: flags.sudo ?? false,
  };
  const parsed = connectionSchema.safeParse(raw);
  if (!parsed.success) {
    // The field names of `connection`, in the words of the flags; never the key's text.
    const flagOf: Record<string, string> = {
      host: "--ssh", port: "--ssh", user: "--ssh", privateKey: "--identity", hostKey: "--host-key", knownHostsFile: "--known-hosts",
      sshConfigFile: "--ssh-config", proxyJump: "--jump", proxyJumpHostKey: "--jump-host-key",
    };
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? "");
    throw new UsageError(`${flagOf[field] ?? field}: ${issue?.message ?? "is not valid"}`);
  }
  const connection = parsed.data;
  if (connection.type !== "ssh") throw new UsageError("--ssh: not an SSH connection");
  return {
    connection,
    program: {
      host: connection.host,
      port: connection.port,
      ...(connection.user !== undefined && { user: connection.user }),
      privateKeyFromConfig: privateKey !== undefined,
      ...(connection.hostKey !== undefined && { hostKey: connection.hostKey }),
      ...(connection.knownHostsFile !== undefined && { knownHostsFile: connection.knownHostsFile }),
      ...(connection.sshConfigFile !== undefined && { sshConfigFile: connection.sshConfigFile }),
      ...(connection.proxyJump !== undefined && { proxyJump: connection.proxyJump }),
      ...(connection.proxyJumpHostKey !== undefined && { proxyJumpHostKey: connection.proxyJumpHostKey }),
      sudo: connection.sudo,
    },
  };
}

/** A --stack value: a Pulumi project's name and a stack's (letters, digits, "-", "_" and "."), as a mark spells them. */
const stackFlag = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** A --netns value: a name that can be a file in /run/netns (whether it is one, the scan says). */
const namespaceFlag = z.string().min(1).max(255).refine((n) => !n.includes("/") && n !== "." && n !== "..", "must be a file name in /run/netns");

async function scan(args: string[]): Promise<number> {
  let flags: Flags;
  let positionals: string[];
  try {
    ({ values: flags, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (flags.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positionals[0] !== "scan" || positionals.length > 1) throw new UsageError(positionals.length === 0 ? "say what to do: scan" : `unknown command "${positionals.join(" ")}"`);
  const format = flags.format ?? "ts";
  if (format !== "ts" && format !== "mermaid") throw new UsageError(`--format: must be ts or mermaid, not "${format}"`);
  if (flags.stack !== undefined && !stackFlag.test(flags.stack)) throw new UsageError(`--stack: must be <project>/<stack> (each letters, digits, "-", "_" or "."), not ${JSON.stringify(flags.stack)}`);
  for (const name of flags.netns ?? []) {
    if (!namespaceFlag.safeParse(name).success) throw new UsageError(`--netns: "${name}" is not a namespace name`);
  }
  const { connection, program } = connectionOf(flags);
  const runner = runnerFor(connection);
  try {
    const read = await readHost(runner, {
      netns: flags.netns ?? [],
      host: flags.host ?? false,
      progress: (line) => process.stderr.write(`${asciiEscaped(line)}\n`),
    });
    const layout = layoutOf(read, { ...(flags.stack !== undefined && { stack: flags.stack }) });
    const text = format === "mermaid" ? mermaidOf(layout) : programOf(layout, { hostLabel: hostLabel(connection), ...(program && { connection: program }), localSudo: connection.type === "local" && connection.sudo });
    if (flags.out !== undefined) writeOut(flags.out, text);
    else process.stdout.write(text);
    return 0;
  } finally {
    closeLocalShells();
    await closeSshMasters();
  }
}


scan(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const usageError = error instanceof UsageError;
    process.stderr.write(`pulumi-iproute2: ${asciiEscaped(error instanceof Error ? error.message : String(error))}\n${usageError ? "Run pulumi-iproute2 --help for the options.\n" : ""}`);
    process.exitCode = usageError ? 2 : 1;
  },
);
