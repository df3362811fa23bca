// The scan as a Mermaid flowchart: the README's diagram of the demo's lab is this function's output.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { layoutOf } from "../../../provider/scan/layout";
import { mermaidOf } from "../../../provider/scan/mermaid";
import { demo } from "./reads";

describe("mermaidOf", () => {
  it("draws the flowchart the README shows", () => {
    const readme = readFileSync(path.join(__dirname, "../../../README.md"), "utf8");
    const block = /<!-- scan: lab -->\n```mermaid\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(mermaidOf(layoutOf(demo()))).toBe(block);
  });
});
