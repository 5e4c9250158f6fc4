import type { AppConfig } from '../config/config';

/**
 * Per-pipeline journeys: a B2C and a B2B pipeline can start different onboarding workflows and fill different
 * lists. A pipeline's own entry in the mapping file wins; otherwise the default applies, which is
 * ITERABLE_ONBOARDING_WORKFLOW_ID / ITERABLE_CUSTOMERS_LIST_ID when set, else the file's top-level ids
 * (loadConfig merges those two). `null` on a pipeline turns the default off for it.
 */
export function onboardingFor(config: AppConfig, pipelineId: number): { workflowId?: number; listId?: number } {
  const own = config.mapping?.pipelines[pipelineId];
  return {
    workflowId: pick(own?.onboardingWorkflowId, config.iterable.onboardingWorkflowId),
    listId: pick(own?.customersListId, config.iterable.customersListId),
  };
}

/** Whether a move to `statusId` is tracked as `crm_stage_changed`: the pipeline's rule, else the file's, else all. */
export function emitsStageEvent(config: AppConfig, pipelineId: number, statusId: number): boolean {
  const rule = config.mapping?.pipelines[pipelineId]?.stageEvents ?? config.mapping?.stageEvents ?? 'all';
  if (rule === 'all') return true;
  if (rule === 'none') return false;
  return rule.includes(statusId);
}

function pick(own: number | null | undefined, fallback: number | undefined): number | undefined {
  if (own === null) return undefined;
  return own ?? fallback;
}
