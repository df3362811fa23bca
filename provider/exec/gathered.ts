// Calls to a host that arrive together share one command: the first waits a few milliseconds for others
// to join it, then its batch runs while later calls gather for the next one. One batch runs at a time
// per key (a host, or a host's namespace), so N calls at once make a handful of commands, not N, and a
// call is never answered from a batch that ran before it arrived.

interface Waiting<I, R> {
  item: I;
  resolve: (result: R | PromiseLike<R>) => void;
  reject: (error: unknown) => void;
}

interface Queue<I, R> {
  waiting: Waiting<I, R>[];
  busy: boolean;
}

/** How long the first call of a batch waits for others to join it. */
const gatherMs = 5;

/**
 * A function that runs each call's item in a batch with the others of its key waiting at the same
 * time: `run` gets the batch's items and answers each (the same order; an answer may be a promise of
 * its own, when the batch runs in parts that fail apart), or throws for all of them.
 */
export function gathered<I, R>(run: (items: I[]) => Promise<(R | PromiseLike<R>)[]>): (key: string, item: I) => Promise<R> {
  const queues = new Map<string, Queue<I, R>>();

  async function drain(key: string, queue: Queue<I, R>): Promise<void> {
    if (queue.busy) return;
    queue.busy = true;
    await new Promise((resolve) => setTimeout(resolve, gatherMs));
    const batch = queue.waiting.splice(0);
    try {
      const results = await run(batch.map((w) => w.item));
      batch.forEach((waiting, i) => waiting.resolve(results[i] as R | PromiseLike<R>));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    } finally {
      queue.busy = false;
      if (queue.waiting.length > 0) void drain(key, queue);
      else queues.delete(key);
    }
  }

  return (key, item) => {
    const queue = queues.get(key) ?? { waiting: [], busy: false };
    queues.set(key, queue);
    return new Promise<R>((resolve, reject) => {
      queue.waiting.push({ item, resolve, reject });
      void drain(key, queue);
    });
  };
}
