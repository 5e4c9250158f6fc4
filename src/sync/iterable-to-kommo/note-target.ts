import type { KommoClient } from '../../kommo/kommo.client';
import type { KommoContact, NoteEntity } from '../../kommo/kommo.types';

export interface NoteTarget {
  entity: NoteEntity;
  id: number;
  /** every contact whose email matches exactly (tags go on all of them) */
  contacts: KommoContact[];
}

/**
 * Where a note about `email` belongs: the most recently updated lead of the contacts whose EMAIL equals it
 * (the client filters Kommo's fuzzy search exactly), else the most recently updated such contact.
 * Undefined when no contact has that email.
 */
export async function findNoteTarget(kommo: KommoClient, email: string): Promise<NoteTarget | undefined> {
  const contacts = await kommo.findContactsByEmail(email);
  if (!contacts.length) return undefined;
  const leadIds = [...new Set(contacts.flatMap((c) => c._embedded?.leads?.map((l) => l.id) ?? []))];
  const leads = leadIds.length ? await kommo.getLeads(leadIds) : [];
  const latestLead = leads.reduce<(typeof leads)[number] | undefined>((a, l) => (!a || l.updated_at > a.updated_at ? l : a), undefined);
  if (latestLead) return { entity: 'leads', id: latestLead.id, contacts };
  const latestContact = contacts.reduce((a, c) => (c.updated_at > a.updated_at ? c : a));
  return { entity: 'contacts', id: latestContact.id, contacts };
}
