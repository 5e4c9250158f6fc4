import type { Job } from 'bullmq';
import { onceChecked } from '../delivery/steps';
import type { KommoClient } from '../kommo/kommo.client';
import type { NoteEntity } from '../kommo/kommo.types';
import type { StepProgress } from './jobs';

/** Kommo's clock and ours differ: a note stamped up to a minute before our marker still counts as this attempt's. */
const CLOCK_SLACK_SECONDS = 60;

/**
 * Writes a common note as one step of `job`, at most once even across a crash mid-call: a re-run that finds the step
 * pending looks for a note with the same text on the same lead or contact since the first attempt (the texts are
 * this integration's own) and writes only if there is none. Nothing is read from Kommo when no re-run is involved.
 */
export function addNoteOnce(
  job: Job<StepProgress>,
  kommo: KommoClient,
  step: string,
  target: { entity: NoteEntity; id: number },
  text: string,
): Promise<boolean> {
  return onceChecked(
    job,
    step,
    () => kommo.addNotes(target.entity, [{ entityId: target.id, text }]),
    async (sinceMs) => {
      const notes = await kommo.notesSince(target.entity, target.id, Math.floor(sinceMs / 1000) - CLOCK_SLACK_SECONDS);
      return notes.some((n) => n.note_type === 'common' && n.params?.text?.trim() === text.trim());
    },
  );
}
