import { describe, expect, it } from "vitest";
import { ownerMark, ownerOf, parseMark } from "../../provider/ownerMark";

describe("ownerMark", () => {
  it("spells a plain owner as it is", () => {
    expect(ownerMark(ownerOf("lab", "dev", "MacvlanLink", "mac1"))).toBe("pulumi-iproute2:lab/dev/MacvlanLink/mac1");
  });

  it("encodes white space, %, quotes, # and backslashes, and anything outside ASCII, so an ip batch line takes it", () => {
    const mark = ownerMark(ownerOf("p", "s", "VethPair", "a b%c\"d'e#f\\g\u202eh"));
    expect(mark).toBe("pulumi-iproute2:p/s/VethPair/a%20b%25c%22d%27e%23f%5Cg%E2%80%AEh");
    expect(mark).toMatch(/^[\x21-\x7e]+$/);
    expect(parseMark(mark)?.owner).toBe("p/s/VethPair/a b%c\"d'e#f\\g\u202eh");
  });

  it("cuts an owner too long for an alias (255 bytes), with a hash that keeps two long owners apart", () => {
    const long = (tail: string) => ownerOf("p", "s", "MacvlanLink", `${"x".repeat(300)}${tail}`);
    const [a, b] = [ownerMark(long("a")), ownerMark(long("b"))];
    expect(a.length).toBeLessThanOrEqual(255);
    expect(a).not.toBe(b);
    expect(a).toMatch(/~[0-9a-f]{16}$/);
    expect(ownerMark(long("a"))).toBe(a); // the same owner, the same mark: a rerun finds its own
  });

  it("never cuts inside a %XX", () => {
    const mark = ownerMark(ownerOf("p", "s", "MacvlanLink", " ".repeat(200)));
    expect(mark.split("~")[0]).toMatch(/^pulumi-iproute2:p\/s\/MacvlanLink\/(%20)+$/);
  });

  it("tells a mark from any other alias", () => {
    expect(parseMark(undefined)).toBeUndefined();
    expect(parseMark("uplink to rack 4")).toBeUndefined();
    expect(parseMark("pulumi-iproute2:")).toBeUndefined();
    expect(parseMark("pulumi-iproute2:a b")).toBeUndefined();
    expect(parseMark("pulumi-iproute2:lab/dev/NetNamespace/ns1")).toEqual({ owner: "lab/dev/NetNamespace/ns1" });
    expect(parseMark("pulumi-iproute2:bad%zz")).toEqual({ owner: "bad%zz" });
  });
});
