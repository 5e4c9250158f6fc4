/**
 * The contract between producers (webhook controllers) and processors.
 *
 * WARNING: queue names and job names are persisted in Redis with every job. Renaming one strands the jobs
 * already waiting under the old name: add a new name and drain the old one instead.
 */

export const QUEUES = {
  kommoToIterable: 'kommo-to-iterable',
  iterableToKommo: 'iterable-to-kommo',
  /** admin-started bulk imports (sync/backfill/); their per-user failures are its dead letters */
  backfill: 'backfill',
  /** the scheduled catch-up of status changes Kommo never delivered (sync/reconcile/) */
  reconcile: 'reconcile',
  /** GDPR forget/delete requests (gdpr/) */
  gdpr: 'gdpr',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];
/** The queues webhook events go to (JobProducer, QUEUE_OF). */
export type EventQueueName = typeof QUEUES.kommoToIterable | typeof QUEUES.iterableToKommo;

/** A lead's stage change as Kommo reported it (account webhook or Digital Pipeline webhook). */
export interface LeadStatusChange {
  leadId: number;
  statusId: number;
  pipelineId: number;
  oldStatusId?: number;
  oldPipelineId?: number;
  /** Unix seconds of the change (`updated_at` / `last_modified`), when the webhook carries it. */
  changedAt?: number;
  accountId?: number;
  /** X-Amocrm-Requestid or a generated id: ties the job's log lines to the delivery. */
  requestId?: string;
  receivedAt: string;
}

/** An Iterable event that becomes a Kommo note. `email` is the identity; the rest is per-kind detail. */
export interface IterableEventData {
  email: string;
  eventName: string;
  /** unix seconds when Iterable says the event happened, else when we received it */
  occurredAt: number;
  requestId?: string;
  receivedAt: string;
}

export interface BounceDetail { reason: string }
export interface ClickDetail { target: string }
export interface MilestoneDetail { milestone: string; workflowId?: number; workflowName?: string }

/**
 * Per-step progress, persisted on the job so a retry repeats no completed side effect. `pending`: steps whose call
 * went out but was not recorded as done (ms since epoch of the first attempt), checked before they are repeated.
 */
export interface StepProgress { done?: string[]; pending?: Record<string, number> }

export interface JobMap {
  'lead.won': LeadStatusChange & StepProgress;
  'lead.lost': LeadStatusChange & StepProgress;
  'lead.stage-changed': LeadStatusChange & StepProgress;
  'iterable.email-unsubscribed': IterableEventData & StepProgress;
  'iterable.sms-unsubscribed': IterableEventData & StepProgress;
  'iterable.email-bounced': IterableEventData & BounceDetail & StepProgress;
  'iterable.email-complained': IterableEventData & StepProgress;
  'iterable.inapp-clicked': IterableEventData & ClickDetail & StepProgress;
  'iterable.journey-milestone': IterableEventData & MilestoneDetail & StepProgress;
}
export type JobName = keyof JobMap;
export type JobOf<N extends JobName> = JobMap[N];

export type KommoJobName = 'lead.won' | 'lead.lost' | 'lead.stage-changed';
export type IterableJobName = Exclude<JobName, KommoJobName>;

/** A typed job ready for `Queue.addBulk`: `{ name, data, opts.jobId }`. */
export type JobRequest = { [N in JobName]: { name: N; data: JobOf<N>; jobId: string } }[JobName];

export const QUEUE_OF: Record<JobName, EventQueueName> = {
  'lead.won': QUEUES.kommoToIterable,
  'lead.lost': QUEUES.kommoToIterable,
  'lead.stage-changed': QUEUES.kommoToIterable,
  'iterable.email-unsubscribed': QUEUES.iterableToKommo,
  'iterable.sms-unsubscribed': QUEUES.iterableToKommo,
  'iterable.email-bounced': QUEUES.iterableToKommo,
  'iterable.email-complained': QUEUES.iterableToKommo,
  'iterable.inapp-clicked': QUEUES.iterableToKommo,
  'iterable.journey-milestone': QUEUES.iterableToKommo,
};

/**
 * Admin-started and scheduled work. Not webhook events, so outside JobMap: JobProducer never stores them.
 * WARNING: these names are persisted in Redis too.
 */
export const OPS_JOBS = {
  backfillRun: 'backfill.run',
  backfillUserFailed: 'backfill.user-failed',
  reconcileRun: 'reconcile.run',
  gdprForget: 'gdpr.forget',
} as const;

export interface BackfillStats {
  /** Kommo pages read and pushed */
  pages: number;
  /** Won deals listed (after the `since` filter) */
  leads: number;
  /** profiles Iterable accepted */
  users: number;
  /** profiles Iterable refused: each is a `backfill.user-failed` dead letter */
  failed: number;
  /** deals not pushed: no email, forgotten user, or a newer Lost already applied */
  skipped: number;
}

export interface BackfillRun {
  backfillId: string;
  /** ISO date: only deals won (closed) at or after it */
  since?: string;
  /** The checkpoint: the next Kommo page to read. Pages before it are in Iterable. */
  page: number;
  stats: BackfillStats;
}

/** One profile a backfill could not push; fails at once (a dead letter), re-syncs the deal when replayed. */
export interface BackfillUserFailed {
  backfillId: string;
  leadId: number;
  email: string;
  reason: string;
  /** set on the first run, so a replay knows to retry instead of failing again */
  reported?: boolean;
}

export interface GdprForget extends StepProgress {
  email: string;
  mode: 'forget' | 'delete';
  requestedAt: string;
}

export const WON_STATUS_ID = 142;
export const LOST_STATUS_ID = 143;

export function leadJobName(statusId: number): KommoJobName {
  if (statusId === WON_STATUS_ID) return 'lead.won';
  if (statusId === LOST_STATUS_ID) return 'lead.lost';
  return 'lead.stage-changed';
}
