// Calls to a host that arrive together share one command: the first waits a few milliseconds for others
// to join it, then its batch runs while later calls gather for the next one. One batch runs at a time
// per kind of call and key (a host's parts, a namespace's links), so N calls at once make a handful of
// commands, not N, and a call is never answered from a batch that ran before it arrived.
// The queues belong to a Gatherings, which a runner holds: its machine's, shared by the runners of that
// machine (each resource makes its own runner) and by no other, or one a test made for itself.

interface Waiting<I, R> {
  item: I;
  resolve: (result: R | PromiseLike<R>) => void;
  reject: (error: unknown) => void;
}

interface Queue<I, R> {
  waiting: Waiting<I, R>[];
  busy: boolean;
}

/**
 * What runs a batch: it gets the batch's items and answers each (the same order; an answer may be a
 * promise of its own, when the batch runs in parts that fail apart), or throws for all of them. A
 * module-level function, the same for every call of its kind: that is what the calls gather by.
 */
export type BatchRun<I, R> = (items: I[]) => Promise<(R | PromiseLike<R>)[]>;

export interface GatheringOptions {
  /** How long the first call of a batch waits for others to join it; default 5 ms. */
  gatherMs?: number;
}

/** The calls of one machine waiting to share a command, by kind of call (its BatchRun) and key. */
export class Gatherings {
  private readonly queues = new Map<BatchRun<never, unknown>, Map<string, Queue<unknown, unknown>>>();
  private readonly gatherMs: number;

  constructor(options: GatheringOptions = {}) {
    this.gatherMs = options.gatherMs ?? 5;
  }

  /** `item` run by `run` in a batch with the other calls of `run` and `key` waiting at the same time. */
  join<I, R>(run: BatchRun<I, R>, key: string, item: I): Promise<R> {
    let ofRun = this.queues.get(run as BatchRun<never, unknown>);
    if (!ofRun) this.queues.set(run as BatchRun<never, unknown>, (ofRun = new Map()));
    const queues = ofRun;
    const queue = (queues.get(key) ?? { waiting: [], busy: false }) as Queue<I, R>;
    queues.set(key, queue as Queue<unknown, unknown>);
    const drain = async (): Promise<void> => {
      if (queue.busy) return;
      queue.busy = true;
      await new Promise((resolve) => setTimeout(resolve, this.gatherMs));
      const batch = queue.waiting.splice(0);
      try {
        const results = await run(batch.map((w) => w.item));
        batch.forEach((waiting, i) => waiting.resolve(results[i] as R | PromiseLike<R>));
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      } finally {
        queue.busy = false;
        if (queue.waiting.length > 0) void drain();
        else {
          queues.delete(key);
          if (queues.size === 0) this.queues.delete(run as BatchRun<never, unknown>);
        }
      }
    };
    return new Promise<R>((resolve, reject) => {
      queue.waiting.push({ item, resolve, reject });
      void drain();
    });
  }
}

/** Each machine's Gatherings, which its runners hold (runners.ts: `machine`). */
const byMachine = new Map<string, Gatherings>();

/** The Gatherings of `machine`: the one every runner of that machine in this process holds. */
export function machineGatherings(machine: string): Gatherings {
  let gatherings = byMachine.get(machine);
  if (!gatherings) byMachine.set(machine, (gatherings = new Gatherings()));
  return gatherings;
}
