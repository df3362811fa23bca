// The stack's private key for one master's setup, never in a file: a private ssh-agent holds it in
// memory, loaded with `ssh-add -` from a pipe. Its passphrase reaches ssh-add's askpass program on an
// inherited descriptor, and that program answers nothing but a key-passphrase question. The agent is
// stopped once the master is up, and dies with this process even if it is killed (-9): it runs under a
// shell that waits on our end of a pipe, even through a signal to the whole process group.
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { Iproute2Error, type ErrorContext } from "./errors";

export interface KeyAgent {
  /** The agent's socket, for `IdentityAgent`. */
  socket: string;
  /** The key's public half, for `-i` with `IdentitiesOnly=yes`: only this key is offered. */
  publicKeyFile: string;
  stop(): void;
}

const startTimeoutMs = 10_000;

// ssh-add asks "Enter passphrase for (stdin): "; a question for anything else (a password, a jump
// host) gets no answer.
const askpassScript = `#!/bin/sh
case "$1" in
  "Enter passphrase for"*) exec cat <&3 ;;
esac
exit 1
`;

export async function startKeyAgent(options: {
  /** A private folder (mode 0700) for the socket, the public key and the askpass program. */
  dir: string;
  privateKey: string;
  passphrase?: string;
  env: Record<string, string>;
  context: ErrorContext;
  /** How long the key may stay in the agent: the whole connection setup, retries included. */
  lifetimeSeconds: number;
}): Promise<KeyAgent> {
  const { dir, privateKey, passphrase, env, context, lifetimeSeconds } = options;
  const socket = path.join(dir, "agent");
  // The agent runs in the background of a shell, so it ignores SIGQUIT (and would SIGINT, but that it
  // handles it): a signal to the whole process group would end the shell and leave the agent. With
  // the trap (set before the agent starts) the shell outlives the signal; it acts on it, like on the
  // end of our pipe when this process dies, once its `read` returns, and stops the agent.
  const hold = 'trap \'kill "$agent" 2>/dev/null; exit 1\' INT QUIT TERM HUP; ssh-agent -D -a "$1" >/dev/null 2>&1 & agent=$!; read -r _; kill "$agent"';
  const holder = execa("sh", ["-c", hold, "sh", socket], {
    stdin: "pipe",
    stdout: "ignore",
    stderr: "ignore",
    env,
    extendEnv: false,
    reject: false,
  });
  const stop = () => {
    holder.stdin?.end();
  };
  try {
    for (let waited = 0; !existsSync(socket); waited += 20) {
      if (waited >= startTimeoutMs) throw new Iproute2Error("failed", context, `ssh-agent did not start within ${startTimeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const askpass = path.join(dir, "askpass");
    writeFileSync(askpass, askpassScript, { mode: 0o700, flag: "wx" });
    const agentEnv = { ...env, SSH_AUTH_SOCK: socket, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: "force", DISPLAY: "none" };
    const bytes = (text: string) => new TextEncoder().encode(text);
    const added = await execa("ssh-add", ["-q", "-t", String(lifetimeSeconds), "-"], {
      // The key on its standard input, the passphrase on descriptor 3: pipes, never files or argv.
      stdio: [bytes(privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`), "pipe", "pipe", passphrase !== undefined ? bytes(passphrase) : "ignore"],
      env: agentEnv,
      extendEnv: false,
      reject: false,
      timeout: startTimeoutMs,
    });
    if (added.timedOut) {
      throw new Iproute2Error("failed", context, `ssh-add did not load the private key within ${startTimeoutMs / 1000} s`);
    }
    if (added.exitCode !== 0) {
      const said = String(added.stderr).trim();
      throw new Iproute2Error(
        "permission",
        context,
        passphrase === undefined
          ? `the private key could not be loaded (${said || "it may need a passphrase"})`
          : `the private key could not be unlocked with privateKeyPassphrase (${said || `ssh-add exited ${added.exitCode}`})`,
        "Check connection.privateKey and connection.privateKeyPassphrase",
      );
    }
    const listed = await execa("ssh-add", ["-L"], { env: agentEnv, extendEnv: false, timeout: startTimeoutMs });
    const publicKeyFile = path.join(dir, "id.pub");
    writeFileSync(publicKeyFile, `${listed.stdout.trim()}\n`, { mode: 0o600, flag: "wx" });
    return { socket, publicKeyFile, stop };
  } catch (error) {
    stop();
    throw error;
  }
}
