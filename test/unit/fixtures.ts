// Loads what test/fixtures/record.sh recorded from real iproute2: command results shaped as a Runner
// returns them. Parsed with zod like any other outside data.
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { CommandResult } from "../../provider/exec/runner";

const commandResult = z.strictObject({
  command: z.strictObject({ argv: z.array(z.string()), stdin: z.string().optional() }),
  exitCode: z.number().int(),
  stdout: z.string(),
  stderr: z.string(),
});

const recorded = { iproute2: z.string(), kernel: z.string(), description: z.string() };

const linkFixtureSchema = z.strictObject({ ...recorded, netns: z.string(), name: z.string(), results: z.array(commandResult) });

const netnsFixtureSchema = z.strictObject({
  ...recorded,
  lo_up: z.strictObject({ netns: z.string(), result: commandResult }),
  lo_down: z.strictObject({ netns: z.string(), result: commandResult }),
  gone: z.strictObject({ netns: z.string(), result: commandResult }),
});

const failureKinds = ["not-found", "exists", "permission", "unsupported-kind", "busy", "invalid", "unreachable", "failed"] as const;

const failuresFixtureSchema = z.strictObject({
  ...recorded,
  failures: z.array(commandResult.extend({ kind: z.enum(failureKinds), what: z.string() })),
});

function load<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  const text = readFileSync(path.join(__dirname, "..", "fixtures", "iproute2", file), "utf8");
  return schema.parse(JSON.parse(text));
}

type LinkFixture = z.infer<typeof linkFixtureSchema>;

export const linkFixtureNames = [
  "macvlan-bridge",
  "macvlan-private",
  "macvlan-vepa",
  "macvlan-passthru",
  "macvlan-source",
  "macvlan-other-netns",
  "macvlan-route-spellings",
  "macvtap-bridge",
  "veth-end",
  "veth-peer-elsewhere",
  "missing-device",
  "missing-netns",
] as const;
export type LinkFixtureName = (typeof linkFixtureNames)[number];

export function linkFixtureOf(name: LinkFixtureName): LinkFixture {
  return load(`${name}.json`, linkFixtureSchema);
}

/** The results as a Runner returns them: it stops after the first command that fails. */
export function asRunnerReturns(results: CommandResult[]): CommandResult[] {
  const failed = results.findIndex((r) => r.exitCode !== 0);
  return failed === -1 ? results : results.slice(0, failed + 1);
}

/** `ip -j -n NS link show dev lo` with lo up, with lo down, and for a missing namespace. */
export function netnsReadFixture() {
  return load("netns-read.json", netnsFixtureSchema);
}

/** Failing commands, each with the kind classify() should give its stderr. */
export function failuresFixture() {
  return load("failures.json", failuresFixtureSchema);
}
