// Parsing `ip -j` output as iproute2 6.x prints it, names with control characters included.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { linkWithAddresses, parseJsonLines } from "../../../provider/state/ipJson";

const links = z.array(linkWithAddresses);
/** One `ip -j link show` line for a link named `name`, written as iproute2's JSON writer writes it. */
const printed = (name: string) => `[{"ifindex":2,"ifname":"${name}","flags":["BROADCAST"],"mtu":1500}]`;

describe("parseJsonLines", () => {
  // iproute2 escapes \b, \f, \n, \r and \t in a string, and leaves other control characters raw, which
  // JSON does not allow: a link named so (any byte but "/", ":" and white space) made every read of its
  // namespace fail.
  it.each([
    ["an ANSI escape", "e\u001b[31m", "e\u001b[31m"],
    ["a control character", "a\u0001b", "a\u0001b"],
    ["C0 controls in a row", "\u0002\u0003\u001f", "\u0002\u0003\u001f"],
    ["DEL, which JSON allows raw", "d\u007f", "d\u007f"],
    ["a backspace iproute2 escaped itself", "b\\bs", "b\bs"],
    ["a right-to-left override", "r\u202eab", "r\u202eab"],
  ])("reads a name with %s as the kernel has it", (_case, written, name) => {
    expect(parseJsonLines(`${printed(written)}\n`, links, "links")[0]?.[0]?.ifname).toBe(name);
  });

  it("still refuses what is not JSON", () => {
    expect(() => parseJsonLines("Error: something\n", links, "links")).toThrow(/iproute2 printed something other than JSON for links \(document 1\)/);
  });
});
