import { z } from "zod";
import { jumpHost, type Connection } from "../model";

// `connection` of every resource: a union keyed by `type` ("local" when left out).
export const localConnection = z
  .strictObject(
    {
      type: z.literal("local"),
      sudo: z.boolean({ error: "must be true or false" }).default(false),
      persist: z.boolean({ error: "must be true or false" }).default(true),
    },
    { error: 'must be an object like { type: "local" }' },
  )
  .transform((c): Connection => ({ type: "local", sudo: c.sudo, persist: c.persist }));

const hostName = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .regex(/^[A-Za-z0-9_.:%-]+$/, "must be a host name or address (letters, digits, . - _ : %)")
  .refine((h) => !h.startsWith("-"), 'must not start with "-"');

/**
 * A file or socket path handed to ssh. OpenSSH pastes some into a local shell command (with proxyJump,
 * `-F FILE` goes unquoted into the ProxyCommand it runs), splits known_hosts paths at spaces and
 * expands % and ~ in them: only plain path characters are allowed, so a path is only ever a path.
 */
const localPath = z
  .string({ error: "must be a string" })
  .startsWith("/", "must be an absolute path")
  .regex(/^[A-Za-z0-9._/+-]+$/, "must be a plain path (letters, digits and . _ / + - only)");

const authorizedKey = /^(ssh|ecdsa|sk)-[a-z0-9@.-]+ [A-Za-z0-9+/=]+( .*)?$/;


export const sshConnection = z
  .strictObject(
    {
      type: z.literal("ssh"),
      host: hostName,
      port: z.number({ error: "must be a number" }).int("must be a whole number").min(1, "must be 1 to 65535").max(65535, "must be 1 to 65535").default(22),
      user: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*\$?$/, "must be a user name").optional(),
      privateKey: z.string().refine((k) => k.includes("PRIVATE KEY-----"), "must be a private key in PEM or OpenSSH form").optional(),
      privateKeyPassphrase: z.string().optional(),
      agentSocket: localPath.optional(),
      hostKey: z.string().regex(authorizedKey, 'must be a key in authorized_keys form, like "ssh-ed25519 AAAA..."').optional(),
      knownHostsFile: localPath.optional(),
      proxyJump: z
        .string({ error: "must be a string" })
        .refine((j) => !j.startsWith("-"), 'must not start with "-"')
        .refine((j) => !j.includes(","), "must be one jump host (chain more hops in sshConfigFile)")
        .regex(jumpHost, "must be [user@]host[:port]")
        .optional(),
      proxyJumpHostKey: z.string().regex(authorizedKey, 'must be a key in authorized_keys form, like "ssh-ed25519 AAAA..."').optional(),
      sshConfigFile: localPath.optional(),
      sudo: z.boolean({ error: "must be true or false" }).default(false),
      persist: z.boolean({ error: "must be true or false" }).default(true),
      connectTimeoutSeconds: z.number().int().min(1, "must be at least 1").max(600, "must be at most 600").default(10),
      connectRetries: z.number().int().min(0, "must not be negative").max(10, "must be at most 10").default(3),
    },
    { error: "must be an object like { type: \"ssh\", host: \"hv1\" }" },
  )
  .transform((c): Connection => c);

/** `type` may be left out for a local connection; then the kind decides which fields are checked. */
export const connection = z
  .preprocess(
    (value) => (value !== null && typeof value === "object" && !("type" in value) ? { ...value, type: "local" } : value),
    z.discriminatedUnion("type", [sshConnection, localConnection], { error: 'must have type "local" or "ssh"' }),
  )
  .default({ type: "local", sudo: false, persist: true });

/**
 * What a connection points at. Resources are replaced when it changes: it is another machine.
 * Settings of how to reach the same machine (sudo, later keys or user) are not part of it.
 */
export function connectionTarget(conn: Connection): string {
  return conn.type === "local" ? "local" : `ssh://${conn.host}:${conn.port}`;
}

/** A connection's target from stored state or new inputs, for diffs; unreadable input counts as its own. */
export function targetOf(raw: unknown): string {
  const parsed = connection.safeParse(raw);
  return parsed.success ? connectionTarget(parsed.data) : JSON.stringify(raw);
}

