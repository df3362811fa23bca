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
 * Seconds, as brctl and systemd-networkd take them, in whole tenths: `ip` speaks centiseconds, but the
 * kernel keeps clock ticks, and with 250 a second (HZ=250, 4 ms a tick) it reads 1501 back as 1500 and
 * 455 as 454: any finer value would drift on every refresh. A tenth is a whole number of ticks at every
 * HZ Linux offers (100, 250, 300, 1000). The count of centiseconds is 32 bits.
 */
const forwardDelaySeconds = z
  .number({ error: "must be a number of seconds" })
  .min(0, "must not be negative")
  .max(42_949_672, "must fit the kernel's 32-bit count of centiseconds")
  .refine(
    (s) => Math.abs(s * 10 - Math.round(s * 10)) < 1e-6,
    "must be in whole tenths of a second (15.1, not 15.01): the kernel counts it in clock ticks, and one of 250 a second keeps 15.01 as 15, which would drift for ever",
  );

export const bridgeArgs: ArgsSpec<BridgeDesired, "Bridge"> = {
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
