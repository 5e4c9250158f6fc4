import type { Job } from 'bullmq';
import type { KommoClient } from '../../kommo/kommo.client';
import type { StepProgress } from '../jobs';
import { addNoteOnce } from '../note-step';
import { skipped, type Outcome } from '../outcome';

/** No email on the main contact: Iterable cannot identify the person, so sales is told on the deal. */
export async function noteMissingEmail(job: Job<StepProgress>, kommo: KommoClient, leadId: number, text: string): Promise<Outcome> {
  await addNoteOnce(job, kommo, 'no-email-note', { entity: 'leads', id: leadId }, text);
  return skipped(`lead ${leadId}: main contact has no email`);
}
