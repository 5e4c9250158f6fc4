import type { DroppedField } from './map-fields';

/** Reports mapped values left out of an Iterable update: never silent, never sent with the wrong type. */
export type DropReporter = (leadId: number, dropped: readonly DroppedField[]) => void;

interface WarnLogger {
  warn(context: object, message: string): void;
}

/** A log warning per dropped field (the reason names the offending value, cut short) and a metric increment. */
export function dropReporter(logger: WarnLogger, metrics: { countDropped(field: string): void }): DropReporter {
  return (leadId, dropped) => {
    for (const d of dropped) {
      metrics.countDropped(d.field);
      logger.warn({ leadId, field: d.field, reason: d.reason }, `mapped field ${d.field} left out of the Iterable update: ${d.reason}`);
    }
  };
}
