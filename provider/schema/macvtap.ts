import { z } from "zod";
import type { MacvtapDesired } from "../model";
import { definedOnly } from "../shape";
import { macvlanFields, macvlanRules } from "./macvlanLink";
import { withPersist } from "./persist";
import type { ArgsSpec } from "./validate";

/** A uid/gid (a whole number) or a user/group name, as chown takes it. */
const account = (what: string) =>
  z
    .union([z.number().int().min(0).max(0xfffffffe), z.string()], { error: `must be a ${what} name or a numeric id` })
    .transform((value) => String(value))
    .refine((s) => /^(\d+|[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?)$/.test(s), `must be a ${what} name or a numeric id`);

export const tapMode = z
  .string({ error: 'must be an octal string like "0660"' })
  .regex(/^0?[0-7]{3}$/, 'must be an octal string like "0660"')
  .transform((mode) => mode.padStart(4, "0"));

export const devicePath = z
  .string({ error: "must be a string" })
  .regex(/^\/[\x21-\x7e]+$/, "must be an absolute path of printable ASCII without spaces")
  .refine((p) => !p.split("/").includes(".."), 'must not contain ".."')
  .refine((p) => !p.endsWith("/"), "must name a file, not a folder");

export const macvtapArgs: ArgsSpec<MacvtapDesired, "Macvtap"> = {
  kind: "Macvtap",
  fields: {
    ...macvlanFields,
    tapOwner: account("user").optional(),
    tapGroup: account("group").optional(),
    tapMode: tapMode.default("0600"),
    tapDevicePath: devicePath.optional(),
  },
  rules: [
    ...macvlanRules,
    {
      reads: ["master"],
      check: (a) =>
        a.master !== undefined
          ? { property: "master", reason: "is not possible on a Macvtap: its frames go to its device node, so the kernel refuses it as a bridge port (Device or resource busy); make a MacvlanLink or a VethPair end the port" }
          : undefined,
    },
    {
      reads: ["dhcp"],
      check: (a) =>
        a.dhcp
          ? { property: "dhcp", reason: "is not possible on a Macvtap: its frames go to its device node, so the guest runs its own DHCP client; use a MacvlanLink on the same parent for the host" }
          : undefined,
    },
    {
      reads: ["tapDevicePath", "persist"],
      check: (a) =>
        a.tapDevicePath !== undefined && a.persist !== false && /["'\\#]/.test(a.tapDevicePath)
          ? { property: "tapDevicePath", reason: "must not contain quotes, backslashes or # while persist is on (the boot description reads it as a word)" }
          : undefined,
    },
  ],
  complete: (a) => withPersist(definedOnly({ ...a, netns: a.netns ?? a.parentNetns })),
};
