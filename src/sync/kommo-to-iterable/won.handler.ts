import { eventId } from '../../iterable/iterable-format';
import { once } from '../../delivery/steps';
import { WON_STATUS_ID } from '../jobs';
import { NOTE_TEXTS } from '../note-texts';
import { skipped, synced } from '../outcome';
import type { KommoHandler } from './deps';
import { changedAtOf, compact, companyNameOf, isCurrent, loadLeadContext, planOf } from './lead-context';
import { noteMissingEmail } from './no-email';
import { wonProfile } from './won-profile';

/** Won: profile as a customer, `deal_won`, onboarding journey, customers list, then a note on the deal. */
export const handleWon: KommoHandler<'lead.won'> = async (job, { kommo, iterable, config, customerState }) => {
  const change = job.data;
  const { lead, contact, email } = await loadLeadContext(kommo, change.leadId);
  if (lead.status_id !== WON_STATUS_ID) return skipped(`stale: lead ${lead.id} is now in status ${lead.status_id}`);
  if (!email) return noteMissingEmail(job, kommo, lead.id);

  const changedAt = changedAtOf(change);
  const plan = planOf(lead, config.kommo.planFieldId);
  const workflowId = config.iterable.onboardingWorkflowId;
  const listId = config.iterable.customersListId;

  if (!(await isCurrent(job, customerState, email, changedAt))) return skipped(`stale: a newer Won/Lost for ${email} was applied`);
  await once(job, 'profile', async () => {
    await iterable.updateUser({
      email,
      dataFields: wonProfile({ lead, contact, plan, changedAt, companyName: await companyNameOf(kommo, lead, config.kommo.companyFieldId) }),
    });
  });
  await once(job, 'event', () =>
    iterable.trackEvent({
      email,
      eventName: 'deal_won',
      id: eventId('deal_won', lead.id, changedAt),
      createdAt: changedAt,
      dataFields: compact({ deal_id: lead.id, plan, value: lead.price ?? undefined }),
    }),
  );
  if (workflowId) {
    await once(job, 'workflow', () => iterable.triggerWorkflow({ workflowId, email, dataFields: compact({ deal_id: lead.id, plan }) }));
  }
  if (listId) await once(job, 'list', () => iterable.subscribeToList({ listId, subscribers: [{ email }] }));
  const planLabel = plan ?? 'none';
  const text = workflowId ? NOTE_TEXTS.wonWithWorkflow(planLabel) : NOTE_TEXTS.wonWithoutWorkflow(planLabel);
  await once(job, 'note', () => kommo.addNotes('leads', [{ entityId: lead.id, text }]));
  return synced(`won deal ${lead.id} synced for ${email}`);
};
