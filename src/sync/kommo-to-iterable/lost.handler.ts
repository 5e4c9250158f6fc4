import { once } from '../../delivery/steps';
import { eventId, iterableDate } from '../../iterable/iterable-format';
import { LOST_STATUS_ID } from '../jobs';
import { noteTexts } from '../note-texts';
import { skipped, synced } from '../outcome';
import type { KommoHandler } from './deps';
import { changedAtOf, compact, isCurrent, loadLeadContext } from './lead-context';
import { noteMissingEmail } from './no-email';

/** Lost: no longer a customer, and `deal_lost` with the reason's name so journeys can stop nurture. */
export const handleLost: KommoHandler<'lead.lost'> = async (job, { kommo, iterable, config, customerState }) => {
  const change = job.data;
  const { lead, email } = await loadLeadContext(kommo, change.leadId);
  if (lead.status_id !== LOST_STATUS_ID) return skipped(`stale: lead ${lead.id} is now in status ${lead.status_id}`);
  if (!email) return noteMissingEmail(job, kommo, lead.id, noteTexts(config.mapping?.notes).noEmail());

  const changedAt = changedAtOf(change);
  if (!(await isCurrent(job, customerState, email, changedAt))) return skipped(`stale: a newer Won/Lost for ${email} was applied`);
  await once(job, 'profile', () =>
    iterable.updateUser({ email, dataFields: { isCustomer: false, churnedAt: iterableDate(lead.closed_at ?? changedAt) } }),
  );
  const lossReason = await kommo.lossReasonName(lead);
  await once(job, 'event', () =>
    iterable.trackEvent({
      email,
      eventName: 'deal_lost',
      id: eventId('deal_lost', lead.id, changedAt),
      createdAt: changedAt,
      dataFields: compact({ deal_id: lead.id, loss_reason: lossReason }),
    }),
  );
  return synced(`lost deal ${lead.id} synced for ${email}`);
};
