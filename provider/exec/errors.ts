// One error class for everything that goes wrong on a host, with one shape: the verb, the object, the
// namespace and the host it was done on, what the command said, and what a person can do about it.
// The original error (execa's, with the full command result) stays as `cause`.
import { where } from "../labels";
import type { CommandResult } from "./runner";

export type FailureKind =
  | "not-found" // the link or namespace does not exist: success for delete, "gone" for read
  | "exists" // the name is taken
  | "permission" // no CAP_NET_ADMIN
  | "unsupported-kind" // the kernel lacks the link type (module not loaded)
  | "busy" // the parent cannot take this child (bridge/bond port, passthru taken)
  | "invalid" // the kernel refused a value
  | "unreachable" // the host could not be reached (nothing ran)
  | "interrupted" // the connection broke during an operation: it may have run in part, or in full
  | "failed"; // anything else

export interface ErrorContext {
  /** What we were doing: create, read, update, delete. */
  verb: string;
  /** What we were doing it to, e.g. `MacvlanLink "mac1"`. */
  object: string;
  /** The namespace it lives in; undefined is the host's own. */
  netns?: string;
  /** The host, as named in the connection. */
  host: string;
}

export class Iproute2Error extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly context: ErrorContext,
    /** What failed and what the command said. */
    readonly detail: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(`${context.verb} ${objectAt(context)}: ${detail}${hint ? `. ${hint}` : ""}`, options);
    this.name = "Iproute2Error";
  }
}

/** The object and where it is, as messages name it: `MacvlanLink "mac1" in netns "lab" on hv1`. */
export function objectAt(context: ErrorContext): string {
  return `${context.object}${context.netns !== undefined ? ` in ${where(context.netns)}` : ""} on ${context.host}`;
}

// iproute2 has no error codes in its output, only the kernel's strerror text (with LC_ALL=C, which the
// runners set) or its own messages; this table is the one place that reads them.
const kindsByMessage: [RegExp, FailureKind][] = [
  [/Unknown device type/i, "unsupported-kind"],
  [/Operation not permitted|Permission denied|a password is required|a terminal is required|is not allowed to execute|not in the sudoers file/i, "permission"],
  [/File exists|Address already assigned/i, "exists"],
  [/Device or resource busy/i, "busy"],
  [
    /does not exist|Cannot find device|No such device|Cannot open network namespace|No such file or directory|Cannot remove namespace file|Invalid "netns" value|No such process|Address not found/i,
    "not-found",
  ],
  [
    /Invalid argument|Numerical result out of range|Value too large|Address already in use|mtu (less|greater) than device|Nexthop has invalid gateway|Invalid prefix|Cannot assign requested address|argument ".*" is wrong|is duplicate, or ".*" is a garbage/i,
    "invalid",
  ],
];

export function classify(stderr: string): FailureKind {
  return kindsByMessage.find(([pattern]) => pattern.test(stderr))?.[1] ?? "failed";
}

/** What a person can do, for the failures that have a usual cause. */
export function hintFor(kind: FailureKind, linkKind?: string): string | undefined {
  switch (kind) {
    case "unsupported-kind":
      return `The kernel lacks ${linkKind ?? "this link kind"}: load it with "modprobe ${linkKind ?? "<kind>"}"`;
    case "permission":
      return "Managing links needs CAP_NET_ADMIN: run as root, or set connection.sudo: true; sudo must not ask for a password (NOPASSWD for the user)";
    case "busy":
      return "The parent cannot take this link: it may be a bridge or bond port, or already have a passthru child";
    default:
      return undefined;
  }
}

// sudo's own words when, run as `sudo -n`, it will not run a command. A command sudoers does not allow
// the user comes out as "a password is required" too: sudo asks for one before it would say no.
const sudoRefusals =
  /^(?:sudo: (?:a password is required|a terminal is required\b.*|sorry, you must have a tty to run sudo|.*\bnot in the sudoers file\b.*|.*\bis not allowed to execute\b.*)|Sorry, user .* is not allowed to execute .*)$/m;

/** What sudo said when it refused to run `result`'s command, naming the command; undefined if it did not. */
export function sudoRefusal(result: CommandResult | undefined): { detail: string; hint: string } | undefined {
  const said = result && result.exitCode !== 0 ? sudoRefusals.exec(result.stderr)?.[0] : undefined;
  if (said === undefined) return undefined;
  const program = result?.command.argv[0] ?? "the command";
  return {
    detail: `sudo refused to run ${program} (${said.trim()})`,
    hint: "With connection.sudo, sudoers must let the connection's user run ip, bridge (a Vxlan's flood list) and sh as root without a password (NOPASSWD) and without a terminal (no requiretty); the package runs nothing else through sudo",
  };
}

// How a shell (dash, bash, busybox, mksh) and sudo say a program is not on PATH, as the first line of
// what the command printed: the shell then exits 127, sudo 1.
const shellNotFound = /^\S*sh(?:\[\d+\])?: (?:(?:line )?\d+: )?(\S+): (?:command )?not found$/;
const sudoNotFound = /^sudo: (\S+): command not found$/;

/**
 * The program a shell (or sudo in it) could not find to run `result`'s command; undefined if it ran.
 * Only the program the command starts (or sudo, which the runners put in front of it), named in the
 * shell's or sudo's own first line with their exit code: not a program's own words about a name.
 */
export function missingProgram(result: CommandResult | undefined): string | undefined {
  if (!result) return undefined;
  const first = result.stderr.split("\n", 1)[0] ?? "";
  const program = result.exitCode === 127 ? shellNotFound.exec(first)?.[1] : result.exitCode === 1 ? sudoNotFound.exec(first)?.[1] : undefined;
  return program !== undefined && (program === result.command.argv[0] || program === "sudo") ? program : undefined;
}

/**
 * A command's failure in the one error shape: a sudo refusal as a permission error naming the command
 * sudo refused, anything else classified by what the command said, with `detail`.
 */
export function commandFailure(result: CommandResult | undefined, context: ErrorContext, detail: string, options: { hint?: string; cause?: unknown } = {}): Iproute2Error {
  const refusal = sudoRefusal(result);
  if (refusal) return new Iproute2Error("permission", context, refusal.detail, refusal.hint, { cause: options.cause });
  return new Iproute2Error(classify(result?.stderr ?? ""), context, detail, options.hint, { cause: options.cause });
}
