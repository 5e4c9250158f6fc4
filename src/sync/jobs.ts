/**
 * The contract between producers (webhook controllers) and processors.
 *
 * WARNING: queue names and job names are persisted in Redis with every job. Renaming one strands the jobs
 * already waiting under the old name: add a new name and drain the old one instead.
 */

export const QUEUES = {
  kommoToIterable: 'kommo-to-iterable',
  iterableToKommo: 'iterable-to-kommo',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

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

/** Per-step progress, persisted on the job so a retry repeats no completed side effect. */
export interface StepProgress { done?: string[] }

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

export const QUEUE_OF: Record<JobName, QueueName> = {
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

export const WON_STATUS_ID = 142;
export const LOST_STATUS_ID = 143;

export function leadJobName(statusId: number): KommoJobName {
  if (statusId === WON_STATUS_ID) return 'lead.won';
  if (statusId === LOST_STATUS_ID) return 'lead.lost';
  return 'lead.stage-changed';
}
