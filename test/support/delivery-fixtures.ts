import { getQueueToken } from '@nestjs/bullmq';
import type { Job, Queue } from 'bullmq';
import { QUEUES, type QueueName } from '../../src/sync/jobs';
import { Harness, SECRETS, statusEntry, waitFor } from './harness';

/** Seeding and inspection shared by the delivery-guarantee e2e specs (test/e2e/delivery-*.e2e-spec.ts). */

export const PIPELINE = { id: 7101, name: 'Delivery', statuses: [{ id: 401, name: 'Proposal' }] };
export const WORKFLOW = 6161;
export const LIST = 8181;
/** Env for a harness that triggers the onboarding journey and subscribes the customers list on Won. */
export const WON_ENV = { ITERABLE_ONBOARDING_WORKFLOW_ID: String(WORKFLOW), ITERABLE_CUSTOMERS_LIST_ID: String(LIST) };

export function prepare(h: Harness): void {
  h.kommo.addPipeline(PIPELINE);
  h.kommo.addLossReason({ id: 51, name: 'Chose a competitor' });
  h.iterable.addList(LIST);
}

/** A lead whose main contact has `email`; `status` is what Kommo's API answers now. */
export function seedLead(h: Harness, email: string, status = 142, extra: { lossReason?: number; updatedAt?: number } = {}): number {
  const contact = h.kommo.addContact({ name: email, first_name: 'Dee', last_name: 'Livery', emails: [{ value: email, enum_code: 'WORK' }] });
  return h.kommo.addLead({
    name: `deal of ${email}`,
    price: 900,
    status_id: status,
    pipeline_id: PIPELINE.id,
    contacts: [{ id: contact, is_main: true }],
    loss_reason_id: extra.lossReason,
    closed_at: extra.updatedAt ?? 1790000000,
    updated_at: extra.updatedAt ?? 1790000000,
  });
}

/** The `leads[status]` fields of a status change to `status` (Won by default) at `updatedAt`. */
export function change(i: number, leadId: number, updatedAt: number, status = 142) {
  return statusEntry(i, { id: leadId, status_id: status, pipeline_id: PIPELINE.id, old_status_id: PIPELINE.statuses[0].id, updated_at: updatedAt });
}

export function queueOf(h: Harness, name: QueueName = QUEUES.kommoToIterable): Queue {
  return h.app.get<Queue>(getQueueToken(name));
}

/** Waits until `count` jobs of the Kommo → Iterable queue have completed (a job's last step lands just before). */
export async function completedJobs(h: Harness, count: number): Promise<Job[]> {
  let jobs: Job[] = [];
  await waitFor(`${count} completed jobs`, async () => (jobs = await queueOf(h).getCompleted(0, -1)).length >= count);
  return jobs;
}

/** Every job in both queues' failed sets (the dead letters). */
export async function deadLetters(h: Harness): Promise<Job[]> {
  const all = await Promise.all(Object.values(QUEUES).map((q) => queueOf(h, q).getFailed()));
  return all.flat();
}

/** Bodies of Iterable calls to `path` ('users/update', …) that the simulator accepted. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function accepted(h: Harness, path: string): any[] {
  return h.iterable.calls.filter((c) => c.path === `/api/${path}` && c.status === 200).map((c) => c.body);
}

export function leadNotes(h: Harness, leadId: number): string[] {
  return h.kommo.notes('leads', leadId).map((n) => n.text);
}

export const adminAuth = (password = SECRETS.adminPassword) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

export function admin(h: Harness, path: string, init: { method?: string; body?: unknown; auth?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { authorization: init.auth ?? adminAuth() };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const body = init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  return fetch(`${h.url}${path}`, { method: init.method ?? 'GET', headers, body });
}
