// The boot description as refresh reads it back: each part's text, and whether it is replayed at boot.
import { describe, expect, it } from "vitest";
import { partsFromResult, readPartsCommand } from "../../../provider/state/bootPart";

const result = (stdout: string, exitCode = 0) => ({ command: readPartsCommand(["a.part"]), exitCode, stdout, stderr: exitCode === 0 ? "" : "sh: boom" });

describe("partsFromResult", () => {
  it.each([
    {
      case: "a part, a missing one, and everything that replays them",
      stdout: "=== link:ns1:mac1.part\n|# c\n|format 1\n|object link ns1 mac1\n=== netns:ns1.part missing\nrestore present\nunit present\n",
      parts: { "link:ns1:mac1.part": "# c\nformat 1\nobject link ns1 mac1\n" },
      replayed: true,
      systemd: true,
    },
    { case: "no unit: nothing replays them", stdout: "=== a.part\n|format 1\nrestore present\nunit missing\n", parts: { "a.part": "format 1\n" }, replayed: false, systemd: true },
    { case: "no restore program", stdout: "=== a.part\n|format 1\nrestore missing\nunit present\n", parts: { "a.part": "format 1\n" }, replayed: false, systemd: true },
    { case: "a host without systemd: the program alone", stdout: "=== a.part\n|format 1\nrestore present\nunit no-systemd\n", parts: { "a.part": "format 1\n" }, replayed: true, systemd: false },
    { case: "an empty part", stdout: "=== a.part\nrestore present\nunit present\n", parts: { "a.part": "" }, replayed: true, systemd: true },
    {
      case: "a part whose text looks like a header reads as its text, and the next part as itself",
      stdout: "=== a.part\n|=== b.part missing\n|x\n=== b.part\n|y\nrestore present\nunit present\n",
      parts: { "a.part": "=== b.part missing\nx\n", "b.part": "y\n" },
      replayed: true,
      systemd: true,
    },
  ])("$case", ({ stdout, parts, replayed, systemd }) => {
    const read = partsFromResult(result(stdout));
    expect(Object.fromEntries(read.parts)).toEqual(parts);
    expect({ replayed: read.replayed, systemd: read.systemd }).toEqual({ replayed, systemd });
  });

  it("fails on a read that failed, or that says nothing of what replays the parts", () => {
    expect(() => partsFromResult(result("", 2))).toThrow(/reading the boot description failed: sh: boom/);
    expect(() => partsFromResult(result("=== a.part\nformat 1\n"))).toThrow();
  });

  it("reads each part by name as an argument, never through a link", () => {
    const command = readPartsCommand(["netns:a.part", "link:-:b.part"]);
    expect(command.argv.slice(3)).toEqual(["pulumi-iproute2-boot-read", "netns:a.part", "link:-:b.part"]);
    expect(command.argv[2]).toContain('[ ! -L "$file" ]');
  });
});
