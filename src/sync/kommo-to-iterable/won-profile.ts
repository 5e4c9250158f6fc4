import type { DataFields } from '../../iterable/iterable.types';
import { iterableDate } from '../../iterable/iterable-format';
import type { KommoContact, KommoLead } from '../../kommo/kommo.types';
import { compact } from './lead-context';

export interface WonProfileInput {
  lead: KommoLead;
  contact?: KommoContact;
  companyName?: string;
  plan?: string;
  /** unix seconds of the Won, when the lead has no `closed_at` */
  changedAt: number;
}

/**
 * The Iterable profile of a Won deal's main contact. One function for the Won handler (`users/update`) and the
 * backfill (`users/bulkUpdate`), so a backfilled customer looks exactly like one synced in real time.
 */
export function wonProfile({ lead, contact, companyName, plan, changedAt }: WonProfileInput): DataFields {
  return compact({
    firstName: contact?.first_name || undefined,
    lastName: contact?.last_name || undefined,
    companyName,
    plan,
    crmDealId: String(lead.id),
    dealValue: lead.price ?? undefined,
    wonAt: iterableDate(lead.closed_at ?? changedAt),
    isCustomer: true,
  });
}
