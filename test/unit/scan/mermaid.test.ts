// The scan as a Mermaid flowchart: docs/scan.md's diagram of the demo's lab is this function's output.
import { describe, expect, it } from "vitest";
import { layoutOf } from "../../../provider/scan/layout";
import { mermaidOf } from "../../../provider/scan/mermaid";
import { docBlock } from "../../support/docBlocks";
import { demo, hostileNames, markedDemo, hostRead, link, lo, namespace, printableAscii } from "./reads";

describe("mermaidOf", () => {
  it("draws the flowchart docs/scan.md shows: the demo's lab, each object with its stack's mark", () => {
    expect(mermaidOf(layoutOf(markedDemo()))).toBe(docBlock("docs/scan.md", "lab", { marker: "scan", language: "mermaid" }));
  });

  it("draws an owned lab as it draws one it would write: modes and the pair's line", () => {
    const lines = (chart: string) => chart.split("\n").map((line) => line.replace(/(, |<br\/>)owned by [^"]*/, ""));
    expect(lines(mermaidOf(layoutOf(markedDemo())))).toEqual(lines(mermaidOf(layoutOf(demo()))));
  });
});

// A label shows what a host names as printable ASCII: each other character as its code point's entity,
// which Mermaid draws as the character; nothing in a name can open markup, an entity or a Markdown label.
describe("names from a host in the flowchart", () => {
  it("are labels in printable ASCII, each character outside it an entity", () => {
    const links = [...hostileNames, "h#quot;x", "`**b**`"].map((name, i) => link(2 + i, name, { linkinfo: { info_kind: "dummy" } }));
    const chart = mermaidOf(layoutOf(hostRead([namespace("a", [lo, ...links])], ["a"])));
    expect(chart).toMatch(printableAscii);
    for (const label of ["r#8238;ab", "q#8294;x#8297;y", "z#8203;w", "b#65279;om", "a#1;b", "e#27;[31m", "d#127;el", "n#133;l", "s#128512;", "u#55296;", "h#35;quot;x", "#96;**b**#96;"]) {
      expect(chart).toContain(`["${label}<br/>dummy"]`);
    }
  });
});
