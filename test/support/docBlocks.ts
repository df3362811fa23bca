// The CLI's output pasted in the docs: each is a ```text block right after a `<!-- preview: NAME -->`
// marker (docs/previews.md), or a ```mermaid block after `<!-- scan: NAME -->` (docs/scan.md), which an
// end-to-end test compares with what the CLI prints.
import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./engine";

/** The block after `<!-- MARKER: NAME -->` in `doc` (a path from the repository's root), without its fences. */
export function docBlock(doc: string, name: string, kind: { marker: string; language: string } = { marker: "preview", language: "text" }): string {
  const text = readFileSync(path.join(repoRoot, doc), "utf8");
  const marker = `<!-- ${kind.marker}: ${name} -->\n${"```"}${kind.language}\n`;
  const start = text.indexOf(marker);
  if (start < 0) throw new Error(`${doc} has no "<!-- ${kind.marker}: ${name} -->" block`);
  const body = text.slice(start + marker.length);
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
