// A bridge's arguments: a single link's (schema/link.ts), with its STP, forward delay and VLAN filtering.
import { z } from "zod";
import type { BridgeDesired } from "../model";
import { definedOnly, spliced } from "../shape";
import { flag } from "./fields";
import { singleLinkFields, singleLinkRules } from "./link";
import { withPersist } from "./persist";
import type { ArgsSpec } from "./validate";

/** The kernel's STP range for the forward delay (BR_MIN/MAX_FORWARD_DELAY), in seconds. */
export const stpForwardDelay = { min: 2, max: 30 } as const;

/**
 * Seconds, as brctl and systemd-networkd take them; the kernel keeps centiseconds in 32 bits, so a
 * value has at most two decimals.
 */
const forwardDelaySeconds = z
  .number({ error: "must be a number of seconds" })
  .min(0, "must not be negative")
  .max(42_949_672, "must fit the kernel's 32-bit count of centiseconds")
  .refine((s) => Math.abs(s * 100 - Math.round(s * 100)) < 1e-6, "must be a whole number of centiseconds (at most two decimals)");

export const bridgeArgs: ArgsSpec<BridgeDesired> = {
  kind: "Bridge",
  fields: spliced(singleLinkFields, {
    netns: { stp: flag.default(false), forwardDelay: forwardDelaySeconds.default(15), vlanFiltering: flag.default(false) },
  }),
  rules: singleLinkRules<BridgeDesired>([
    {
      // The kernel refuses a delay out of range while STP is on, and clamps it silently when STP is turned
      // on: refresh would then report drift for ever.
      reads: ["stp", "forwardDelay"],
      check: (a) =>
        a.stp && (a.forwardDelay < stpForwardDelay.min || a.forwardDelay > stpForwardDelay.max)
          ? { property: "forwardDelay", reason: `must be ${stpForwardDelay.min} to ${stpForwardDelay.max} seconds while stp is true (the kernel's STP range)` }
          : undefined,
    },
  ]),
  complete: (a) => withPersist(definedOnly(a)),
};
