import type { Connection } from "../model";
import { LocalRunner } from "./local";
import type { Runner } from "./runner";

/** The runner for a resource's connection. The SSH kind gets its branch here. */
export function runnerFor(connection: Connection): Runner {
  return new LocalRunner(connection);
}
