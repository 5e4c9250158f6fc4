/** What an 'error' listener needs of a logger: Nest's Logger (routed to pino) or a test double. */
export interface ErrorSink {
  error(details: Record<string, unknown>, message: string): void;
}

/**
 * During a Redis outage every connection reports each failed reconnect (one every ≤ 2 s, ~20 connections per
 * process): one line per source per 30 s says as much without burying the rest of the log.
 */
export const ERROR_LOG_EVERY_MS = 30_000;

/**
 * The 'error' listener of a BullMQ Queue or Worker, or of an ioredis client. Without one, BullMQ prints the error raw
 * to stderr on every reconnect attempt, ioredis prints "Unhandled error event", and a plain EventEmitter would end
 * the process. Logs at most once per `everyMs` for this source, with the count of errors held back meanwhile.
 */
export function errorListener(source: string, sink: ErrorSink, everyMs = ERROR_LOG_EVERY_MS, now: () => number = Date.now): (err: Error) => void {
  let lastAt = -Infinity;
  let held = 0;
  return (err) => {
    const t = now();
    if (t - lastAt < everyMs) {
      held++;
      return;
    }
    lastAt = t;
    const more = held ? ` (${held} more since the last line)` : '';
    sink.error({ source, err: err?.message ?? String(err), code: (err as NodeJS.ErrnoException)?.code, heldBack: held }, `${source}: ${err?.message ?? String(err)}${more}`);
    held = 0;
  };
}
