import type Redis from 'ioredis';
import { leadJobId } from '../../kommo/kommo-webhook.parser';
import type { KommoClient } from '../../kommo/kommo.client';
import type { KommoLead } from '../../kommo/kommo.types';
import type { JobProducer } from '../job-producer';
import { leadJobName, type JobRequest, type LeadStatusChange } from '../jobs';
import type { LeadStatusStore, SeenStatus } from './lead-status.store';

/** Re-reads a minute before the checkpoint: Kommo's clock and ours differ, and `updated_at` has 1 s resolution. */
export const OVERLAP_SECONDS = 60;

export interface ReconcileReport {
  /** unix seconds the listing started from */
  from: number;
  pages: number;
  checked: number;
  /** leads whose status differs from the one last seen */
  changes: number;
  enqueued: number;
  /** changes whose job already existed (the webhook came after all, or another run found it) */
  duplicate: number;
  /** leads seen for the first time: their status is recorded, not synced */
  firstSeen: number;
}

export interface ReconcileDeps {
  kommo: KommoClient;
  statuses: LeadStatusStore;
  producer: JobProducer;
  redis: Redis;
  checkpointKey: string;
  intervalMs: number;
  onPage?: (report: ReconcileReport) => Promise<void>;
}

/**
 * One reconciliation run: every lead Kommo updated since the checkpoint is compared with the status the service
 * last stored for it; a difference is a status change whose webhook never came, enqueued like a webhook would
 * have (same job id scheme, so a late webhook of the same change is a duplicate). A lead never seen before only
 * gets its status recorded: without a known previous status, "changed" cannot be told from "edited".
 */
export async function reconcile(deps: ReconcileDeps, runId: string): Promise<ReconcileReport> {
  const { kommo, statuses, producer, redis } = deps;
  const [seconds] = await redis.time();
  const startedAt = Number(seconds);
  const checkpoint = await redis.get(deps.checkpointKey);
  const from = checkpoint ? Number(checkpoint) - OVERLAP_SECONDS : startedAt - Math.ceil(deps.intervalMs / 1000);
  const report: ReconcileReport = { from, pages: 0, checked: 0, changes: 0, enqueued: 0, duplicate: 0, firstSeen: 0 };
  for (let page = 1; ; page++) {
    const { leads, hasNext } = await kommo.listLeads({ updatedFrom: from, page });
    const seen = await statuses.lastSeen(leads.map((l) => l.id));
    const unseen = leads.filter((_, i) => !seen[i]);
    await statuses.record(unseen.map((l) => ({ leadId: l.id, statusId: l.status_id, at: l.updated_at })));
    const requests = leads.flatMap((lead, i) => {
      const last = seen[i];
      // A change recorded as newer than the lead's own `updated_at`: the webhook beat the listing; Kommo is behind.
      return last && last.statusId !== lead.status_id && lead.updated_at >= last.at ? [statusJob(lead, last, runId)] : [];
    });
    if (requests.length) {
      const stored = await producer.enqueue(requests);
      report.enqueued += stored.enqueued;
      report.duplicate += stored.duplicate;
    }
    Object.assign(report, { pages: page, checked: report.checked + leads.length, changes: report.changes + requests.length });
    report.firstSeen += unseen.length;
    await deps.onPage?.(report);
    if (!hasNext) break;
  }
  // Only a complete run moves the checkpoint; a failed one is redone from the old checkpoint.
  await redis.set(deps.checkpointKey, String(startedAt));
  return report;
}

function statusJob(lead: KommoLead, last: SeenStatus, runId: string): JobRequest {
  const data: LeadStatusChange = {
    leadId: lead.id,
    statusId: lead.status_id,
    pipelineId: lead.pipeline_id,
    oldStatusId: last.statusId,
    changedAt: lead.updated_at,
    requestId: `reconcile:${runId}`,
    receivedAt: new Date().toISOString(),
  };
  return { name: leadJobName(data.statusId), data, jobId: leadJobId(data) } as JobRequest;
}
