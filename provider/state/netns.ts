// Reading a namespace itself (not its links: namespaceLinks.ts): whether it exists, and its loopback.
import { z } from "zod";
import type { NetNamespaceObserved } from "../model";
import { classify } from "../exec/errors";
import type { Command, CommandResult } from "../exec/runner";
import type { ReadBack } from "./readBack";
import { linkWithAddresses, parseJsonLines } from "./ipJson";
import { ReadError } from "./readError";

/** Equivalent to: `ip -j -n NAME link show dev lo` (which fails when the namespace is gone). */
export function netnsReadBack(name: string): ReadBack {
  return { netns: name, lines: [["link", "show", "dev", "lo"]], extra: [] };
}

/** The same read on its own: one command, no batch needed. */
export function netnsReadCommands(name: string): Command[] {
  return [{ argv: ["ip", "-j", "-n", name, "link", "show", "dev", "lo"] }];
}

export function netnsFromResults(results: CommandResult[], name: string): NetNamespaceObserved | undefined {
  const [result] = results;
  if (!result) throw new ReadError("failed", `reading namespace "${name}" returned nothing`);
  if (result.exitCode !== 0) {
    if (classify(result.stderr) === "not-found") return undefined;
    // ip makes /run/netns/NAME a moment before it mounts the namespace on it: a kill between leaves a name with none behind it.
    const emptyName = /setting the network namespace .* failed: Invalid argument/.test(result.stderr) ? `; /run/netns/${name} names no namespace (ip was cut off making it): \`ip netns del ${name}\` removes it` : "";
    throw new ReadError(classify(result.stderr), `reading namespace "${name}" failed: ${result.stderr.trim()}${emptyName}`);
  }
  const [lo] = parseJsonLines(result.stdout, z.array(linkWithAddresses), `lo of namespace "${name}"`)[0] ?? [];
  if (!lo) return undefined;
  return { name, loopbackUp: lo.flags.includes("UP"), ...(lo.ifalias !== undefined && lo.ifalias !== "" && { alias: lo.ifalias }) };
}
