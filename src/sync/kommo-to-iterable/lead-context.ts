import type { KommoClient } from '../../kommo/kommo.client';
import { fieldValue, mainContactId, primaryEmail } from '../../kommo/kommo-fields';
import type { KommoContact, KommoLead } from '../../kommo/kommo.types';
import type { Job } from 'bullmq';
import type { LeadStatusChange, StepProgress } from '../jobs';
import type { CustomerStateGuard } from './customer-state';

/** A lead as the Kommo API has it now, with the identity Iterable knows it by (main contact's email). */
export interface LeadContext {
  lead: KommoLead;
  contact?: KommoContact;
  email?: string;
}

/** The webhook lacks contacts and typed fields: the lead and its main contact are read from the API. */
export async function loadLeadContext(kommo: KommoClient, leadId: number): Promise<LeadContext> {
  const lead = await kommo.getLead(leadId);
  const contactId = mainContactId(lead);
  if (!contactId) return { lead };
  const contact = await kommo.getContact(contactId);
  return { lead, contact, email: primaryEmail(contact)?.toLowerCase() };
}

/** The plan label, from the configured lead field. */
export function planOf(lead: KommoLead, planFieldId?: number): string | undefined {
  const v = planFieldId ? fieldValue(lead, planFieldId) : undefined;
  return v === undefined || v === null || v === '' ? undefined : String(v);
}

/** Company name: the configured lead field, else the linked company's name. */
export async function companyNameOf(kommo: KommoClient, lead: KommoLead, companyFieldId?: number): Promise<string | undefined> {
  const v = companyFieldId ? fieldValue(lead, companyFieldId) : undefined;
  if (v !== undefined && v !== null && v !== '') return String(v);
  const companyId = lead._embedded?.companies?.[0]?.id;
  return companyId ? (await kommo.getCompany(companyId)).name || undefined : undefined;
}

/** When the change happened (unix seconds): the webhook's timestamp, else when it reached us. */
export function changedAtOf(change: LeadStatusChange): number {
  return change.changedAt ?? Math.floor(Date.parse(change.receivedAt) / 1000);
}

/** Drops undefined and null: Iterable's spec wants no null where it expects a number or string. */
export function compact<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}

/** Order guard for Won/Lost; a retry whose profile step already ran has claimed its place and goes on. */
export async function isCurrent(job: Job<StepProgress>, guard: CustomerStateGuard, email: string, changedAt: number): Promise<boolean> {
  return Boolean(job.data.done?.includes('profile')) || guard.claim(email, changedAt);
}
