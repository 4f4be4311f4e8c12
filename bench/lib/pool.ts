/** Bounded concurrency: `workers` loops, each taking the next index until `count` are done. */
export async function runWorkers(
  workers: number,
  count: number,
  task: (index: number, worker: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(workers, count) }, async (_, worker) => {
      while (next < count) await task(next++, worker);
    }),
  );
}

/**
 * A task queue with at most `limit` tasks in flight, where a finished task may enqueue follow-ups
 * (a lobby's joins after its creation, a player's ready after their join). Resolves when the queue is
 * empty and nothing is running, or rejects when the deadline passes.
 */
export function runQueue(limit: number, initial: Array<() => Promise<void>>, deadlineMs: number) {
  const queue = [...initial];
  let running = 0;
  const deadline = Date.now() + deadlineMs;
  let settle!: (value: void) => void;
  let fail!: (error: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  const pump = () => {
    if (Date.now() > deadline) return fail(new Error(`queue did not finish within ${deadlineMs} ms`));
    while (running < limit && queue.length > 0) {
      const task = queue.shift()!;
      running++;
      task()
        .catch((error: unknown) => fail(error instanceof Error ? error : new Error(String(error))))
        .finally(() => {
          running--;
          pump();
        });
    }
    if (running === 0 && queue.length === 0) settle();
  };
  return {
    push: (task: () => Promise<void>) => queue.push(task),
    start: () => {
      pump();
      return done;
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `done` every 100 ms until it holds or `ms` have passed; whether it holds. */
export async function until(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await sleep(100);
  return done();
}
