// The README's CLI transcripts: each is a ```text block right after a `<!-- preview: NAME -->` marker
// (or a ```mermaid block after `<!-- scan: NAME -->`), which an end-to-end test compares with what the
// CLI prints.
import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./engine";

export function readmeBlock(name: string, kind: { marker: string; language: string } = { marker: "preview", language: "text" }): string {
  const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
  const marker = `<!-- ${kind.marker}: ${name} -->\n${"```"}${kind.language}\n`;
  const start = readme.indexOf(marker);
  if (start < 0) throw new Error(`README.md has no "<!-- ${kind.marker}: ${name} -->" block`);
  const body = readme.slice(start + marker.length);
  return body.slice(0, body.indexOf("```"));
}

/**
 * A preview's text with each run of per-resource blocks sorted: the CLI prints the steps it runs in
 * parallel (two children of one parent) in whichever order they finish.
 */
export function withResourcesSorted(preview: string): string {
  const out: string[] = [];
  let run: string[][] = [];
  const flush = () => {
    out.push(...run.sort((a, b) => a.join("\n").localeCompare(b.join("\n"))).flat());
    run = [];
  };
  for (const line of preview.split("\n")) {
    if (/^ {4}(\+-|[~+-] )\S/.test(line)) run.push([line]);
    else if (run.length > 0 && /^ {6}/.test(line)) run.at(-1)!.push(line);
    else {
      flush();
      out.push(line);
    }
  }
  flush();
  return out.join("\n");
}
