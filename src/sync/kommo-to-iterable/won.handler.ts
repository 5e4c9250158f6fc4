import { once } from '../../delivery/steps';
import { WON_STATUS_ID } from '../jobs';
import { addNoteOnce } from '../note-step';
import { noteTexts } from '../note-texts';
import { skipped, synced } from '../outcome';
import type { KommoHandler } from './deps';
import { changedAtOf, isCurrent, loadLeadContext } from './lead-context';
import { noteMissingEmail } from './no-email';
import { wonFollowUps, wonProfileUpdate } from './won-requests';

/** Won: profile as a customer, `deal_won`, onboarding journey, customers list, then a note on the deal. */
export const handleWon: KommoHandler<'lead.won'> = async (job, deps) => {
  const { kommo, iterable, config, customerState, wonTransitions, reportDropped } = deps;
  const change = job.data;
  const { lead, contact, email } = await loadLeadContext(kommo, change.leadId);
  if (lead.status_id !== WON_STATUS_ID) return skipped(`stale: lead ${lead.id} is now in status ${lead.status_id}`);
  // Before the order guard: a second copy of this Won must not move the person's last-applied change time.
  const holder = await wonTransitions.duplicateOf(lead, String(job.id));
  if (holder) return skipped(`duplicate of job ${holder}: the same Won of lead ${lead.id} (closed_at ${lead.closed_at})`);
  if (!email) return noteMissingEmail(job, kommo, lead.id, noteTexts(config.mapping?.notes).noEmail());

  const ctx = { lead, contact, email, changedAt: changedAtOf(change) };
  if (!(await isCurrent(job, customerState, email, ctx.changedAt))) return skipped(`stale: a newer Won/Lost for ${email} was applied`);
  let leftOut = '';
  await once(job, 'profile', async () => {
    const profile = await wonProfileUpdate(kommo, config, ctx);
    await iterable.updateUser(profile.request);
    reportDropped(lead.id, profile.dropped);
    if (profile.dropped.length) leftOut = ` (left out: ${profile.dropped.map((d) => d.field).join(', ')})`;
  });
  const next = wonFollowUps(config, ctx);
  await once(job, 'event', () => iterable.trackEvent(next.event));
  const { workflow, list } = next;
  // Iterable cannot be asked whether a trigger happened: a crash between it and its record re-triggers the journey.
  if (workflow) await once(job, 'workflow', () => iterable.triggerWorkflow(workflow));
  if (list) await once(job, 'list', () => iterable.subscribeToList(list));
  await addNoteOnce(job, kommo, 'note', { entity: 'leads', id: lead.id }, next.note);
  return synced(`won deal ${lead.id} synced for ${email}${leftOut}`);
};
