// What every link kind's state holds beyond its arguments (model.ts LinkOutputs), checked when a state
// is read back from Pulumi's checkpoint; a kind extends it with its own.
import { z } from "zod";
import { kernelChosenFields } from "../model";

export const linkOutputs = z.object({
  macAddress: z.string(),
  mtu: z.number().int(),
  ifindex: z.number().int(),
  kernelChosen: z.array(z.enum(kernelChosenFields)),
});
