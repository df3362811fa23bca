import type { Connection } from "../model";
import { LocalRunner } from "./local";
import type { Runner } from "./runner";
import { SshRunner } from "./ssh";

/** The runner for a resource's connection. */
export function runnerFor(connection: Connection): Runner {
  return connection.type === "ssh" ? new SshRunner(connection) : new LocalRunner(connection);
}
