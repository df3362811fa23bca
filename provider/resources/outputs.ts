// What a resource class registers with the engine: its arguments, and a slot for each output.
/** The props a dynamic resource registers: the arguments, the name defaulted, and a slot per output. */
export function outputSlots(resourceName: string, args: object, outputs: readonly string[]): Record<string, unknown> {
  const slots = Object.fromEntries(outputs.map((key) => [key, undefined]));
  return { ...slots, ...args, name: (args as { name?: unknown }).name ?? resourceName };
}
