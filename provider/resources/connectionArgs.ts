import type * as pulumi from "@pulumi/pulumi";

/** This machine (the default). */
export interface LocalConnectionArgs {
  type?: pulumi.Input<"local">;
  /** Run iproute2 through `sudo -n`. */
  sudo?: pulumi.Input<boolean>;
  /**
   * Default true: the resources on this host are replayed at boot (docs/reboots.md); false opts the
   * whole host out. A resource's own `persist` wins.
   */
  persist?: pulumi.Input<boolean>;
}

/**
 * Another machine, through the OpenSSH client (your ~/.ssh/config, agent, ProxyJump and known_hosts
 * apply). Changing `host` or `port` replaces resources; the other fields do not.
 */
export interface SshConnectionArgs {
  type: pulumi.Input<"ssh">;
  host: pulumi.Input<string>;
  port?: pulumi.Input<number>;
  user?: pulumi.Input<string>;
  /** A private key (pass a Pulumi secret); it only ever goes to a 0600 file while connecting. */
  privateKey?: pulumi.Input<string>;
  privateKeyPassphrase?: pulumi.Input<string>;
  /** Default: SSH_AUTH_SOCK. */
  agentSocket?: pulumi.Input<string>;
  /** Pin the host key, in authorized_keys form ("ssh-ed25519 AAAA..."). */
  hostKey?: pulumi.Input<string>;
  /** Default: your known_hosts. */
  knownHostsFile?: pulumi.Input<string>;
  /** One jump host, "[user@]host[:port]", reached and verified like the target (chain more in sshConfigFile). */
  proxyJump?: pulumi.Input<string>;
  /** Pin the jump host's key ("ssh-ed25519 AAAA..."); default: your known_hosts. */
  proxyJumpHostKey?: pulumi.Input<string>;
  /** An ssh_config to use instead of ~/.ssh/config. */
  sshConfigFile?: pulumi.Input<string>;
  /** Run iproute2 through `sudo -n`. */
  sudo?: pulumi.Input<boolean>;
  /**
   * Default true: the resources on this host are replayed at boot (docs/reboots.md); false opts the
   * whole host out. A resource's own `persist` wins.
   */
  persist?: pulumi.Input<boolean>;
  /** Default 10. */
  connectTimeoutSeconds?: pulumi.Input<number>;
  /** Retries of the connection setup only; default 3. */
  connectRetries?: pulumi.Input<number>;
}

export type ConnectionArgs = LocalConnectionArgs | SshConnectionArgs;
