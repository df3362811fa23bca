// Reading back a resource's part of the boot description (plan/bootPart.ts), for refresh: the part's
// text as the host has it, and whether the rest that replays it is in place (the restore program, and
// the unit where systemd is installed). Only reads; the reads of one host that arrive together share
// one command.
import { z } from "zod";
import type { Command, CommandResult, Runner } from "../exec/runner";
import { bootFolder, bootUnit, bootUnitEnabled } from "../model";
import { ReadError } from "./readError";
import { classify } from "../exec/errors";

// Each part as "=== FILE" and its lines, each after a "|" (so no line of a part, edited by hand or
// without its last newline, can pass for a header), or "=== FILE missing"; then "restore
// present|missing" and "unit present|missing|no-systemd". Parts are read only as regular files, never
// through a link.
const script = `
export LC_ALL=C
for part; do
  file=${bootFolder}/parts/$part
  if [ -f "$file" ] && [ ! -L "$file" ]; then
    printf '=== %s\\n' "$part"
    awk '{ print "|" $0 }' "$file" || exit
  else
    printf '=== %s missing\\n' "$part"
  fi
done
if [ -f ${bootFolder}/restore ] && [ ! -L ${bootFolder}/restore ]; then echo "restore present"; else echo "restore missing"; fi
if ! command -v systemctl >/dev/null 2>&1; then echo "unit no-systemd"
elif [ -f ${bootUnit} ] && [ -L ${bootUnitEnabled} ]; then echo "unit present"
else echo "unit missing"; fi
`;

/** Equivalent to: `cat /etc/pulumi-iproute2/parts/FILE...`, and a look at the restore program and the unit. */
export function readPartsCommand(files: string[]): Command {
  return { argv: ["sh", "-c", script, "pulumi-iproute2-boot-read", ...files] };
}

export interface PartsOnHost {
  /** Each part's text, by file; a missing one is absent. */
  parts: Map<string, string>;
  /** Whether what replays the parts at boot is in place: the restore program, and the unit unless there is no systemd. */
  replayed: boolean;
  systemd: boolean;
}

const status = z.object({ restore: z.enum(["present", "missing"]), unit: z.enum(["present", "missing", "no-systemd"]) });

export function partsFromResult(result: CommandResult): PartsOnHost {
  if (result.exitCode !== 0) throw new ReadError(classify(result.stderr), `reading the boot description failed: ${result.stderr.trim() || `exit code ${result.exitCode}`}`);
  const lines = result.stdout.split("\n").slice(0, -1);
  // The last two lines say what replays the parts; before them, the parts.
  const found = Object.fromEntries(lines.slice(-2).map((line) => line.split(" ")));
  const { restore, unit: unitStatus } = status.parse(found);
  const parts = new Map<string, string>();
  let current: string | undefined;
  for (const line of lines.slice(0, -2)) {
    const header = /^=== (\S+)( missing)?$/.exec(line);
    if (header) {
      current = header[2] ? undefined : header[1];
      if (current !== undefined) parts.set(current, "");
    } else if (current !== undefined && line.startsWith("|")) {
      parts.set(current, `${parts.get(current) ?? ""}${line.slice(1)}\n`);
    } else {
      throw new ReadError("failed", `reading the boot description: unexpected line ${JSON.stringify(line)}`);
    }
  }
  return { parts, replayed: restore === "present" && unitStatus !== "missing", systemd: unitStatus !== "no-systemd" };
}

/** A part as its host has it (undefined when missing), and whether anything replays the parts there. */
export interface PartOnHost {
  text: string | undefined;
  replayed: boolean;
}

/** Reads of one host's parts that arrive together: one command. */
async function readParts(reads: { runner: Runner; file: string }[]): Promise<PartOnHost[]> {
  const runner = reads[0]?.runner;
  if (!runner) return [];
  const [result] = await runner.run([readPartsCommand([...new Set(reads.map((r) => r.file))])]);
  if (!result) throw new ReadError("failed", "reading the boot description returned nothing");
  const onHost = partsFromResult(result);
  return reads.map((r): PartOnHost => ({ text: onHost.parts.get(r.file), replayed: onHost.replayed }));
}

/**
 * Part `file` on `runner`'s host, read (by refresh) in one command with the other reads of that host
 * waiting at the same time, as the links of a namespace are (state/namespaceLinks.ts).
 */
export function readPartBatched(runner: Runner, file: string): Promise<PartOnHost> {
  return runner.gatherings.join(readParts, "", { runner, file });
}
