// How lines of iproute2 commands become one process: `ip -batch -` reading them from standard input.
// Plans (their steps) and state reads (their read-backs) both run this way.
import type { Command } from "./runner";

// iproute2's batch parser splits on white space and gives quotes, backslashes and # meaning; schema/
// refuses those in names, and this checks that nothing else slipped through. An empty argument (`alias
// ""`, which clears a link's alias) is the one quoted word, and only there: its parser reads `""` as an
// empty word.
function batchLine(args: string[]): string {
  for (const [i, arg] of args.entries()) {
    if ((arg === "" && args[i - 1] !== "alias") || /[\s"'\\#]/.test(arg)) throw new Error(`cannot put ${JSON.stringify(arg)} in an ip batch line`);
  }
  return args.map((arg) => (arg === "" ? '""' : arg)).join(" ");
}

/** `ip [-n NETNS] [options] -batch -`, reading `lines` from standard input. */
export function batchCommand(netns: string | undefined, lines: string[][], options: string[] = []): Command {
  return {
    argv: ["ip", ...options, ...(netns !== undefined ? ["-n", netns] : []), "-batch", "-"],
    stdin: lines.map(batchLine).join("\n") + "\n",
  };
}
