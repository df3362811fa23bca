// The owner's mark: what every object this package makes carries on the host, so that a create cut off
// by a kill can be told from a stranger's object of the same name (and resumed), and a delete or a
// refresh never takes another's object for its own. The owner is `project/stack/Kind/resourceName`,
// from what the program knows, so a rerun after a kill computes the same one. The mark is written as a
// link's `ifalias` (a namespace's: its `lo`'s), which `ip -j link` shows and renames and moves keep; a
// link a create is making carries its owner's creation group until its mark is written (below).

import { createHash } from "node:crypto";

const prefix = "pulumi-iproute2:";
/** IFALIASZ (256) less its NUL: the longest alias the kernel keeps. */
const longestAlias = 255;
/** What stays readable of an owner too long for an alias, before `~` and its hash. */
const keptOfLongOwner = 238;

/**
 * Characters that stay as they are; every other one is `%XX` (its UTF-8 bytes): the mark holds no white
 * space, quote, `#` or backslash (it goes into `ip -batch` lines) and is printable ASCII.
 */
const plain = /[A-Za-z0-9._~/:@+=,-]/;

function encodeOwner(owner: string): string {
  let encoded = "";
  for (const c of owner) {
    encoded += plain.test(c) ? c : [...Buffer.from(c, "utf8")].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
  }
  return encoded;
}

/** A short digest, for owners too long to spell out. */
const digest = (owner: string) => createHash("sha256").update(owner, "utf8").digest("hex").slice(0, 16);

/** The mark of `owner`, as written in an alias: `pulumi-iproute2:` and the owner, encoded, cut with a hash if long. */
export function ownerMark(owner: string): string {
  const whole = prefix + encodeOwner(owner);
  if (whole.length <= longestAlias) return whole;
  // Cut where no `%XX` is split, then the hash of the whole owner keeps two long owners apart.
  let cut = whole.slice(0, keptOfLongOwner);
  const lastPercent = cut.lastIndexOf("%");
  if (lastPercent > cut.length - 3) cut = cut.slice(0, lastPercent);
  return `${cut}~${digest(owner)}`;
}

/** The owner an alias names, decoded for people (a cut one keeps its `~hash`); undefined when it is no mark. */
export function parseMark(alias: string | undefined): { owner: string } | undefined {
  if (alias === undefined || !/^pulumi-iproute2:\S+$/.test(alias)) return undefined;
  const encoded = alias.slice(prefix.length);
  try {
    return { owner: decodeURIComponent(encoded) };
  } catch {
    return { owner: encoded }; // a cut or hand-made mark that is not valid percent-encoding
  }
}

/** The owner of a resource: `project/stack/Kind/name`. */
export const ownerOf = (project: string, stack: string, kind: string, resourceName: string) => `${project}/${stack}/${kind}/${resourceName}`;

/** The lowest creation group: above every group a person numbers by hand (0, `default`, and the small ones). */
const firstCreationGroup = 2 ** 30;

/**
 * The group (`ip link ... group N`) a create gives the links it adds, in the add itself, until its mark
 * is written: the kernel takes a group with `link add` but no alias, so a kill between the two leaves
 * this behind the name instead of the mark, and the next create can still tell its own link. A number
 * from 2^30 to 2^31-1 (ip refuses more), from the owner's hash: a stranger's link has it only if someone
 * set it on purpose (like a mark, it is no secret).
 */
export function creationGroup(owner: string): number {
  const hash = createHash("sha256").update(owner, "utf8").digest().readUInt32BE(0);
  return firstCreationGroup + (hash % firstCreationGroup);
}

/** Whether `group` is some owner's creation group: a link a create was cut off making (adopt claims it). */
export const isCreationGroup = (group: number | undefined): boolean => group !== undefined && group >= firstCreationGroup && group < 2 * firstCreationGroup;
