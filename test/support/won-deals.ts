import type { KommoSimulator } from '../simulators/kommo.simulator';
import { kommoForm, statusEntry } from './harness';

/** Won deals for the process-level specs (Redis outage, crash, drain, logs): one pipeline, one contact per deal. */

export const PIPELINE = { id: 7301, name: 'Resilience', statuses: [{ id: 501, name: 'Contract sent' }] };
/** No onboarding workflow configured in these specs, no plan field: fewest calls per deal. */
export const WON_NOTE = 'Iterable: user updated (plan: none)';
const WON = 142;

const seeded = new WeakSet<KommoSimulator>();

/** Seeds `count` Won leads whose main contacts have distinct emails `<tag>-<i>@deals.test`. */
export function seedWonLeads(kommo: KommoSimulator, tag: string, count: number): { leadId: number; email: string }[] {
  if (!seeded.has(kommo)) kommo.addPipeline(PIPELINE);
  seeded.add(kommo);
  return Array.from({ length: count }, (_, i) => {
    const email = `${tag}-${i}@deals.test`;
    const contact = kommo.addContact({ name: email, first_name: 'Res', last_name: `Ilient ${i}`, emails: [{ value: email, enum_code: 'WORK' }] });
    const leadId = kommo.addLead({ name: `deal ${tag} ${i}`, price: 100 + i, status_id: WON, pipeline_id: PIPELINE.id, contacts: [{ id: contact, is_main: true }], closed_at: 1790000000, updated_at: 1790000000 });
    return { leadId, email };
  });
}

/** One Kommo delivery moving every lead to Won. */
export function wonDelivery(leadIds: number[], updatedAt = 1790000000): string {
  const fields = leadIds.map((id, i) => statusEntry(i, { id, status_id: WON, pipeline_id: PIPELINE.id, old_status_id: PIPELINE.statuses[0].id, updated_at: updatedAt }));
  return kommoForm(Object.assign({ 'account[id]': 1 }, ...fields));
}

/** Kommo notes per lead among `leadIds`: how many leads have one, and how many extra copies exist. */
export function noteTally(kommo: KommoSimulator, leadIds: number[]): { leadsWithNote: number; duplicates: number } {
  const wanted = new Set(leadIds);
  const perLead = new Map<number, number>();
  for (const n of kommo.notes('leads')) if (wanted.has(n.entity_id)) perLead.set(n.entity_id, (perLead.get(n.entity_id) ?? 0) + 1);
  const duplicates = [...perLead.values()].reduce((sum, c) => sum + c - 1, 0);
  return { leadsWithNote: perLead.size, duplicates };
}
