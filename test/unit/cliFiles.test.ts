// The files `pulumi-iproute2 scan` reads and writes for its user: a key as `ssh -i` takes it, and a
// program written only to a regular file of its own, never through a link. Real files in a folder of
// the test's own, real keys from ssh-keygen; a file of another user's needs root to make (chown).
import { chmodSync, chownSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readIdentity, UsageError, writeOut } from "../../provider/cliFiles";

const root = process.getuid?.() === 0;
const nobody = 65534;
let folder = "";

beforeEach(() => {
  folder = mkdtempSync(path.join(tmpdir(), "pi2-clifiles-"));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

/** A real private key from ssh-keygen, with `passphrase` ("" for none), in `format` (OpenSSH's own or PEM). */
async function newKey(name: string, passphrase = "", format: "openssh" | "pem" = "openssh"): Promise<string> {
  const file = path.join(folder, name);
  await execa("ssh-keygen", ["-q", "-t", format === "pem" ? "ecdsa" : "ed25519", ...(format === "pem" ? ["-m", "PEM"] : []), "-N", passphrase, "-C", "", "-f", file]);
  return file;
}

/** What `check` threw: a UsageError, by its message. */
function refusal(check: () => unknown): string {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("it was not refused");
}

describe("readIdentity (--identity)", () => {
  it("reads a key of this user's that nobody else can read, as it is", async () => {
    const file = await newKey("id");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readIdentity(file)).toBe(readFileSync(file, "utf8"));
  });

  it("refuses a key others can read, naming its mode and what to do", async () => {
    const file = await newKey("id");
    chmodSync(file, 0o644);
    expect(refusal(() => readIdentity(file))).toBe(`--identity: ${file} is open to other users (mode 644): chmod 600 it, as ssh asks`);
    chmodSync(file, 0o620);
    expect(refusal(() => readIdentity(file))).toContain("(mode 620)");
  });

  it.each([
    { format: "openssh" as const, what: "OpenSSH's own format (its cipher named)" },
    { format: "pem" as const, what: "PEM (Proc-Type: 4,ENCRYPTED)" },
  ])("refuses a key with a passphrase, in $what: it belongs in the agent", async ({ format }) => {
    const file = await newKey("id", "a passphrase", format);
    expect(refusal(() => readIdentity(file))).toBe(`--identity: ${file} has a passphrase: load it into your agent (ssh-add) and leave out --identity`);
    // The same kind of key without one is read.
    expect(readIdentity(await newKey("plain", "", format))).toContain("PRIVATE KEY");
  });

  it("never follows a symbolic link, even to a key of this user's", async () => {
    const key = await newKey("id");
    const link = path.join(folder, "link");
    symlinkSync(key, link);
    expect(refusal(() => readIdentity(link))).toBe(`--identity: cannot read ${link}: it is a symbolic link`);
  });

  it("refuses what is not a regular file: a FIFO (without hanging), a folder", async () => {
    const fifo = path.join(folder, "fifo");
    await execa("mkfifo", ["-m", "600", fifo]);
    expect(refusal(() => readIdentity(fifo))).toBe(`--identity: ${fifo} is not a regular file`);
    expect(refusal(() => readIdentity(folder))).toBe(`--identity: ${folder} is not a regular file`);
  });

  it("says why a missing file cannot be read", () => {
    const missing = path.join(folder, "missing");
    expect(refusal(() => readIdentity(missing))).toMatch(new RegExp(`^--identity: cannot read ${missing}: ENOENT`));
  });

  it.runIf(root)("refuses a key of another user's, naming the uid (root: chown)", async () => {
    const file = await newKey("id");
    chownSync(file, nobody, nobody);
    expect(refusal(() => readIdentity(file))).toBe(`--identity: ${file} belongs to another user (uid ${nobody})`);
  });
});

describe("writeOut (--out)", () => {
  it("writes a new file, and replaces the text of one of this user's", () => {
    const file = path.join(folder, "program.ts");
    writeOut(file, "first, and longer\n");
    expect(readFileSync(file, "utf8")).toBe("first, and longer\n");
    writeOut(file, "second\n");
    expect(readFileSync(file, "utf8")).toBe("second\n");
  });

  it("never writes through a symbolic link: what it points at stays as it was", () => {
    const target = path.join(folder, "target");
    writeFileSync(target, "someone's\n");
    const link = path.join(folder, "program.ts");
    symlinkSync(target, link);
    expect(refusal(() => writeOut(link, "program\n"))).toBe(`--out: cannot write ${link}: it is a symbolic link`);
    expect(readFileSync(target, "utf8")).toBe("someone's\n");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it("refuses what is not a regular file: a FIFO (without hanging), a folder", async () => {
    const fifo = path.join(folder, "fifo");
    await execa("mkfifo", ["-m", "600", fifo]);
    expect(refusal(() => writeOut(fifo, "program\n"))).toMatch(new RegExp(`^--out: cannot write ${fifo}: ENXIO`));
    expect(refusal(() => writeOut(folder, "program\n"))).toMatch(new RegExp(`^--out: cannot write ${folder}: EISDIR`));
  });

  it.runIf(root)("refuses a file of another user's and leaves its text (root: chown)", () => {
    const file = path.join(folder, "program.ts");
    writeFileSync(file, "theirs\n");
    chownSync(file, nobody, nobody);
    expect(refusal(() => writeOut(file, "program\n"))).toBe(`--out: ${file} belongs to another user (uid ${nobody}): not written`);
    expect(readFileSync(file, "utf8")).toBe("theirs\n");
  });
});
