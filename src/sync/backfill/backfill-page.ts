import type { AppConfig } from '../../config/config';
import { mainContactId, primaryEmail } from '../../kommo/kommo-fields';
import type { KommoClient } from '../../kommo/kommo.client';
import type { KommoLead } from '../../kommo/kommo.types';
import type { CustomerStateGuard } from '../kommo-to-iterable/customer-state';
import { wonProfileUpdate } from '../kommo-to-iterable/won-requests';
import type { Profile } from './bulk-push';

export interface PageDeps {
  kommo: KommoClient;
  config: AppConfig;
  customerState: CustomerStateGuard;
}

export interface PageProfiles {
  profiles: Profile[];
  /** no email on the main contact */
  noEmail: number;
  /** another Won deal of the same person in this page, or a newer Won/Lost already applied */
  superseded: number;
}

/** When a backfilled Won happened, for `wonAt` and the order guard. */
export const wonAtOf = (lead: KommoLead): number => lead.closed_at ?? lead.updated_at;

/**
 * The Won profiles of one page of leads, built as the Won handler builds them (mapped fields included). Reads are issued together, so
 * the client's batch loaders turn 250 contacts (and companies) into one Kommo call each.
 */
export async function profilesForPage(leads: KommoLead[], { kommo, config, customerState }: PageDeps): Promise<PageProfiles> {
  const contactIds = leads.map(mainContactId).filter((id): id is number => id !== undefined);
  const contacts = new Map((contactIds.length ? await kommo.getContacts(contactIds) : []).map((c) => [c.id, c]));
  const built = await Promise.all(
    leads.map(async (lead) => {
      const contact = contacts.get(mainContactId(lead) ?? 0);
      const email = contact ? primaryEmail(contact)?.toLowerCase() : undefined;
      if (!email) return undefined;
      const changedAt = wonAtOf(lead);
      const { request } = await wonProfileUpdate(kommo, config, { lead, contact, email, changedAt });
      return { leadId: lead.id, email, dataFields: request.dataFields, changedAt };
    }),
  );
  const withEmail = built.filter((p): p is NonNullable<typeof p> => p !== undefined);
  // A client with several won deals gets one profile: the latest Won's, as live syncing would leave it.
  const latest = new Map<string, (typeof withEmail)[number]>();
  for (const p of withEmail) {
    const seen = latest.get(p.email);
    if (!seen || p.changedAt > seen.changedAt || (p.changedAt === seen.changedAt && p.leadId > seen.leadId)) latest.set(p.email, p);
  }
  const candidates = [...latest.values()];
  // The order guard of live syncing: an old Won must not make a client who churned since a customer again.
  const current = await Promise.all(candidates.map((p) => customerState.claim(p.email, p.changedAt)));
  const profiles = candidates.filter((_, i) => current[i]).map(({ leadId, email, dataFields }) => ({ leadId, email, dataFields }));
  return { profiles, noEmail: leads.length - withEmail.length, superseded: withEmail.length - profiles.length };
}
