import type { AppConfig } from '../../config/config';
import { eventId } from '../../iterable/iterable-format';
import type { ListSubscribeRequest, TrackEventRequest, TriggerWorkflowRequest, UserUpdateRequest } from '../../iterable/iterable.types';
import type { KommoClient } from '../../kommo/kommo.client';
import type { KommoContact, KommoLead } from '../../kommo/kommo.types';
import { mapFields, sourcesNeeded, type DroppedField } from '../../mapping/map-fields';
import { onboardingFor } from '../../mapping/pipeline-routing';
import { noteTexts } from '../note-texts';
import { compact, planOf } from './lead-context';
import { wonProfile } from './won-profile';

/**
 * The requests a Won sends, built apart from sending them: the Won handler sends them step by step, and
 * `npm run mapping:preview` prints them, so the preview is exactly what a Won would do.
 */

export interface WonContext {
  lead: KommoLead;
  contact?: KommoContact;
  email: string;
  /** unix seconds of the Won */
  changedAt: number;
}

export interface WonProfileUpdate {
  request: UserUpdateRequest;
  /** mapped values left out because they could not be sent as their declared type */
  dropped: DroppedField[];
}

export interface WonFollowUps {
  event: TrackEventRequest;
  workflow?: TriggerWorkflowRequest;
  list?: ListSubscribeRequest;
  /** the Kommo note on the lead, written last */
  note: string;
}

/** `users/update`: SPEC's built-in profile plus the mapping file's fields. Reads the company only when needed. */
export async function wonProfileUpdate(kommo: KommoClient, config: AppConfig, ctx: WonContext): Promise<WonProfileUpdate> {
  const { lead, contact, email, changedAt } = ctx;
  const mappings = config.mapping?.fields ?? [];
  const needs = sourcesNeeded(mappings);
  const companyFromField = planOf(lead, config.kommo.companyFieldId);
  const companyId = lead._embedded?.companies?.[0]?.id;
  // One read serves both the company-name fallback and mapped company fields.
  const company = companyId && (needs.company || !companyFromField) ? await kommo.getCompany(companyId) : undefined;
  const pipelineName = needs.pipelineName ? (await kommo.getPipelines()).find((p) => p.id === lead.pipeline_id)?.name : undefined;

  const mapped = mapFields(mappings, { lead, contact, company, pipelineName });
  const plan = planOf(lead, config.kommo.planFieldId);
  const companyName = companyFromField ?? (company?.name || undefined);
  // Validation keeps mapped names off the built-in ones, so neither side can overwrite the other.
  const dataFields = { ...wonProfile({ lead, contact, plan, changedAt, companyName }), ...mapped.dataFields };
  return { request: { email, dataFields }, dropped: mapped.dropped };
}

/** `deal_won`, the pipeline's onboarding journey and customers list, and the note's text (configured language). */
export function wonFollowUps(config: AppConfig, { lead, email, changedAt }: WonContext): WonFollowUps {
  const plan = planOf(lead, config.kommo.planFieldId);
  const { workflowId, listId } = onboardingFor(config, lead.pipeline_id);
  const notes = noteTexts(config.mapping?.notes);
  const planLabel = plan ?? 'none';
  return {
    event: {
      email,
      eventName: 'deal_won',
      id: eventId('deal_won', lead.id, changedAt),
      createdAt: changedAt,
      dataFields: compact({ deal_id: lead.id, plan, value: lead.price ?? undefined }),
    },
    workflow: workflowId ? { workflowId, email, dataFields: compact({ deal_id: lead.id, plan }) } : undefined,
    list: listId ? { listId, subscribers: [{ email }] } : undefined,
    note: workflowId ? notes.wonWithWorkflow(planLabel) : notes.wonWithoutWorkflow(planLabel),
  };
}
