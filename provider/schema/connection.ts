import { z } from "zod";
import type { Connection } from "../model";

// `connection` of every resource. Only the local kind exists so far; the SSH kind becomes a second
// member of this union, keyed by `type`.
export const localConnection = z
  .strictObject(
    {
      type: z.literal("local", { error: 'must be "local" (the only kind so far)' }).default("local"),
      sudo: z.boolean({ error: "must be true or false" }).default(false),
    },
    { error: "must be an object like { type: \"local\" }" },
  )
  .transform((c): Connection => ({ type: "local", sudo: c.sudo }));

export const connection = localConnection.default({ type: "local", sudo: false });

/**
 * What a connection points at. Resources are replaced when it changes: it is another machine.
 * Settings of how to reach the same machine (sudo, later keys or user) are not part of it.
 */
export function connectionTarget(conn: Connection): string {
  return conn.type === "local" ? "local" : conn.type;
}

/** The host named in error messages. */
export function hostLabel(conn: Connection): string {
  return conn.type === "local" ? "localhost" : conn.type;
}

/** A connection's target from stored state or new inputs, for diffs; unreadable input counts as its own. */
export function targetOf(raw: unknown): string {
  const parsed = connection.safeParse(raw);
  return parsed.success ? connectionTarget(parsed.data) : JSON.stringify(raw);
}

/** The diff rule of `connection`: another machine means a new resource; how we reach it does not. */
export const connectionRule = {
  replace: (old: unknown, next: unknown) => targetOf(old) !== targetOf(next),
};
