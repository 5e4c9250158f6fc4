import type { Job } from 'bullmq';
import type { IterableJobName, JobOf } from '../jobs';
import { NOTE_TEXTS, type NoteTexts } from '../note-texts';

/** The note text for each synced Iterable event (SPEC's Iterable → Kommo table, or the mapping file's texts). */
export function noteFor(job: Job, texts: NoteTexts = NOTE_TEXTS): string {
  const name = job.name as IterableJobName;
  switch (name) {
    case 'iterable.email-unsubscribed':
      return texts.emailUnsubscribed();
    case 'iterable.sms-unsubscribed':
      return texts.smsUnsubscribed();
    case 'iterable.email-bounced':
      return texts.emailBounced((job.data as JobOf<typeof name>).reason);
    case 'iterable.email-complained':
      return texts.emailComplained();
    case 'iterable.inapp-clicked':
      return texts.inAppClicked((job.data as JobOf<typeof name>).target);
    case 'iterable.journey-milestone':
      return texts.journeyMilestone((job.data as JobOf<typeof name>).milestone);
    default: {
      const unknown: never = name;
      throw new Error(`no note text for job ${String(unknown)}`);
    }
  }
}
