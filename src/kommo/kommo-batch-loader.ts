import DataLoader from 'dataloader';

/** How long a batch stays open when nothing is in flight: a lone event when idle leaves within this. */
export const BATCH_WINDOW_MS = 10;

/**
 * Calls one Kommo batch endpoint for every job of this process at once. A batch closes after BATCH_WINDOW_MS, but
 * never while the previous batch of the same kind is still out (waiting for its fleet-wide rate slot or for Kommo):
 * work arriving meanwhile rides along in the next call instead of queueing a call of its own. So batches grow with
 * the backlog, which is what keeps 1,000 Won deals within Kommo's 7 req/s, and stay small when the system is idle.
 *
 * `load` answers one value or Error per key, in key order (DataLoader's contract); a rejection fails every caller.
 */
export function kommoBatchLoader<K, V>(
  load: (keys: readonly K[]) => Promise<(V | Error)[]>,
  maxBatchSize: number,
): DataLoader<K, V> {
  let previous: Promise<unknown> = Promise.resolve();
  let current: Promise<unknown> = Promise.resolve();
  return new DataLoader<K, V>(
    (keys) => {
      current = load(keys);
      return current as Promise<(V | Error)[]>;
    },
    {
      // Results must never be reused across jobs: a lead read for one job may be stale for the next.
      cache: false,
      maxBatchSize,
      batchScheduleFn: (dispatch) => {
        const before = previous;
        previous = Promise.all([before, delay(BATCH_WINDOW_MS)])
          .then(() => {
            dispatch();
            return current;
          })
          // Callers get the failure through DataLoader; the chain only has to move on.
          .catch(() => undefined);
      },
    },
  );
}

/** Settles every key: a value or the Error for that key alone. */
export async function loadAll<K, V>(loader: DataLoader<K, V>, keys: readonly K[]): Promise<(V | Error)[]> {
  return keys.length ? loader.loadMany(keys) : [];
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
