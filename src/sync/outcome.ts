/** What a job did, stored as its return value: visible in Bull Board and in the job's log line. */
export type Outcome = { outcome: 'synced'; detail?: string } | { outcome: 'skipped'; reason: string };

export const synced = (detail?: string): Outcome => ({ outcome: 'synced', ...(detail ? { detail } : {}) });
export const skipped = (reason: string): Outcome => ({ outcome: 'skipped', reason });
