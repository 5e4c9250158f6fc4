import DataLoader from 'dataloader';

/** How long a batch stays open when nothing is in flight: a lone event when idle leaves within this. */
export const BATCH_WINDOW_MS = 10;

interface OpenBatch {
  windowOver: boolean;
  send(): void;
}

/**
 * Calls one Kommo batch endpoint for every job of this process at once. A partial batch leaves after
 * BATCH_WINDOW_MS, but not while another batch of the same kind is still out (waiting for its fleet-wide rate slot
 * or for Kommo): work arriving meanwhile rides along in the next call instead of queueing a call of its own. A full
 * batch leaves at once. So batches grow with the backlog, which is what keeps 1,000 Won deals within Kommo's
 * 7 req/s, and a lone event still goes out within the window when the system is idle.
 *
 * `load` answers one value or Error per key, in key order (DataLoader's contract); a rejection fails every caller.
 */
export function kommoBatchLoader<K, V>(
  load: (keys: readonly K[]) => Promise<(V | Error)[]>,
  maxBatchSize: number,
): DataLoader<K, V> {
  let inFlight = 0;
  let open: OpenBatch | undefined;
  const settled = () => {
    inFlight--;
    if (inFlight === 0 && open?.windowOver) open.send();
  };
  return new DataLoader<K, V>(
    (keys) => {
      inFlight++;
      const answer = load(keys);
      answer.then(settled, settled);
      return answer;
    },
    {
      // Results must never be reused across jobs: a lead read for one job may be stale for the next.
      cache: false,
      maxBatchSize,
      batchScheduleFn: (dispatch) => {
        // DataLoader opens a batch while the previous one is unsent only when that one is full: it leaves now.
        open?.send();
        const batch: OpenBatch = {
          windowOver: false,
          send() {
            if (open !== batch) return;
            open = undefined;
            dispatch();
          },
        };
        open = batch;
        setTimeout(() => {
          batch.windowOver = true;
          if (inFlight === 0) batch.send();
        }, BATCH_WINDOW_MS);
      },
    },
  );
}

/** Settles every key: a value or the Error for that key alone. */
export async function loadAll<K, V>(loader: DataLoader<K, V>, keys: readonly K[]): Promise<(V | Error)[]> {
  return keys.length ? loader.loadMany(keys) : [];
}
