// The README is a front door and docs/ holds the rest: every relative link among them (and the examples'
// READMEs) must reach a file or folder of the repository, and a link to a section a heading of that file.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(__dirname, "../..");

const markdownFiles = [
  "README.md",
  ...readdirSync(path.join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
  ...readdirSync(path.join(root, "examples"))
    .map((name) => `examples/${name}/README.md`)
    .filter((file) => existsSync(path.join(root, file))),
];

/** The text outside fenced code blocks: a `#` line or a `[x](y)` in a block is not Markdown. */
function prose(file: string): string {
  return readFileSync(path.join(root, file), "utf8").replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
}

/** The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces as `-`, repeats numbered. */
function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of prose(file).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = (heading ?? "")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The relative links of a file: `[text](target)`, without web addresses. */
function relativeLinks(file: string): string[] {
  return [...prose(file).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? "").filter((target) => !/^[a-z]+:/i.test(target));
}

describe("links in README.md, docs/ and the examples' READMEs", () => {
  it("finds the files it checks", () => {
    expect(markdownFiles).toContain("README.md");
    expect(markdownFiles).toContain("docs/architecture.md");
  });

  it.each(markdownFiles)("%s: every relative link reaches a file, and its anchor a heading", (file) => {
    const broken: string[] = [];
    for (const link of relativeLinks(file)) {
      const [target = "", anchor] = link.split("#");
      const resolved = target === "" ? file : path.join(path.dirname(file), target);
      if (!existsSync(path.join(root, resolved))) broken.push(`${link}: no ${resolved}`);
      else if (anchor !== undefined && resolved.endsWith(".md") && !anchorsOf(resolved).has(anchor)) broken.push(`${link}: no heading "${anchor}" in ${resolved}`);
    }
    expect(broken).toEqual([]);
  });
});
