// Where `persist` comes from when a resource leaves it unset: its connection's, itself true unless the
// user opts a whole host out.
import type { Connection } from "../model";
import { UNKNOWN } from "./validate";

/** The args with `persist` resolved: the resource's own, else its connection's (unknown while it is). */
export function withPersist<T extends { persist: boolean; connection: Connection }>(args: T): T {
  const given = args.persist as boolean | undefined;
  if (given !== undefined) return args;
  const connection = args.connection as unknown;
  const fromConnection = connection !== null && typeof connection === "object" ? (connection as Connection).persist : UNKNOWN;
  return { ...args, persist: fromConnection as boolean };
}
