/**
 * A small queue for periodic housekeeping, run by BullMQ job schedulers so that exactly one worker process runs
 * each check, however many replicas there are.
 *
 * WARNING: the queue name and job names are persisted in Redis (schedulers and their jobs): never rename casually.
 */
export const MAINTENANCE_QUEUE = 'maintenance';
export const KOMMO_WEBHOOK_CHECK = 'kommo.webhook-check';
/** Kommo disables a hook after >100 failures in 2 h: 5 minutes notices it long before a day of events is lost. */
export const KOMMO_WEBHOOK_CHECK_EVERY_MS = 5 * 60_000;
