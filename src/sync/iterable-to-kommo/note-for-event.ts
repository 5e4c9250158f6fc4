import type { Job } from 'bullmq';
import type { IterableJobName, JobOf } from '../jobs';
import { NOTE_TEXTS } from '../note-texts';

/** The note text for each synced Iterable event (SPEC's Iterable → Kommo table). */
export function noteFor(job: Job): string {
  const name = job.name as IterableJobName;
  switch (name) {
    case 'iterable.email-unsubscribed':
      return NOTE_TEXTS.emailUnsubscribed();
    case 'iterable.sms-unsubscribed':
      return NOTE_TEXTS.smsUnsubscribed();
    case 'iterable.email-bounced':
      return NOTE_TEXTS.emailBounced((job.data as JobOf<typeof name>).reason);
    case 'iterable.email-complained':
      return NOTE_TEXTS.emailComplained();
    case 'iterable.inapp-clicked':
      return NOTE_TEXTS.inAppClicked((job.data as JobOf<typeof name>).target);
    case 'iterable.journey-milestone':
      return NOTE_TEXTS.journeyMilestone((job.data as JobOf<typeof name>).milestone);
    default: {
      const unknown: never = name;
      throw new Error(`no note text for job ${String(unknown)}`);
    }
  }
}
