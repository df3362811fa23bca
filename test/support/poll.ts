// Waiting for what happens on its own soon (a DHCP exchange, a server's log line): polled, with a
// bound that is generous and never asserted.

/** Reads until `holds` is true of the value, for up to `seconds`; the last value is returned either way. */
export async function pollUntil<T>(seconds: number, read: () => Promise<T> | T, holds: (value: T) => boolean): Promise<T> {
  const end = Date.now() + seconds * 1000;
  let value = await read();
  while (!holds(value) && Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await read();
  }
  return value;
}
