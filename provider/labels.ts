// How messages name a host and a namespace: one spelling for every layer (exec's errors and runners,
// plan's steps, state's reads, the resources' hints, scan's notes).
import type { Connection } from "./model";

/** The host named in messages: `localhost`, or `[user@]host[:port]` as the connection reaches it. */
export function hostLabel(conn: Connection): string {
  return conn.type === "local" ? "localhost" : `${conn.user ? `${conn.user}@` : ""}${conn.host}${conn.port !== 22 ? `:${conn.port}` : ""}`;
}

/**
 * Where something is, in messages: `netns "lab"`, or the host's namespace (undefined). The name is
 * quoted as JSON, so a name read from a host (scan) cannot close the quotes.
 */
export const where = (netns: string | undefined): string => (netns !== undefined ? `netns ${JSON.stringify(netns)}` : "the host's namespace");
