import { once } from '../../delivery/steps';
import { eventId } from '../../iterable/iterable-format';
import { emitsStageEvent } from '../../mapping/pipeline-routing';
import { skipped, synced } from '../outcome';
import type { KommoHandler } from './deps';
import { changedAtOf, compact, loadLeadContext } from './lead-context';

/** Any other stage: a `crm_stage_changed` event with stage and pipeline names (history, so never stale). */
export const handleStageChange: KommoHandler<'lead.stage-changed'> = async (job, { kommo, iterable, config }) => {
  const change = job.data;
  // Checked before any Kommo read: an untracked stage costs no rate-limit slot.
  if (!emitsStageEvent(config, change.pipelineId, change.statusId)) {
    return skipped(`stage ${change.statusId} of pipeline ${change.pipelineId} is not tracked (stage_events in the mapping file)`);
  }
  const { email } = await loadLeadContext(kommo, change.leadId);
  if (!email) return skipped(`lead ${change.leadId}: main contact has no email`);

  const changedAt = changedAtOf(change);
  const { pipelineName, stageName } = await kommo.stageName(change.pipelineId, change.statusId);
  await once(job, 'event', () =>
    iterable.trackEvent({
      email,
      eventName: 'crm_stage_changed',
      id: eventId('crm_stage_changed', change.leadId, change.oldStatusId ?? 'x', change.statusId, changedAt),
      createdAt: changedAt,
      dataFields: compact({
        stage_id: change.statusId,
        stage_name: stageName,
        deal_id: change.leadId,
        pipeline_id: change.pipelineId,
        pipeline_name: pipelineName,
        old_stage_id: change.oldStatusId,
      }),
    }),
  );
  return synced(`stage ${stageName ?? change.statusId} tracked for ${email}`);
};
