import { Inject } from '@nestjs/common';
import { Processor } from '@nestjs/bullmq';
import { UnrecoverableError, type Job } from 'bullmq';
import { ApiPauseRegistry } from '../../delivery/api-pause';
import type { ApiName } from '../../delivery/errors';
import { backoffStrategy } from '../../delivery/job-policy';
import { WORKER_RECOVERY } from '../../delivery/queue-config';
import { PolicyWorkerHost } from '../../delivery/policy-worker.host';
import { once } from '../../delivery/steps';
import { KommoClient } from '../../kommo/kommo.client';
import { IterableEventData, QUEUES, QUEUE_OF, type JobName } from '../jobs';
import { addNoteOnce } from '../note-step';
import { UNSUBSCRIBED_TAG, noteTexts, type NoteTexts } from '../note-texts';
import { APP_CONFIG, type AppConfig } from '../../config/config';
import { skipped, synced, type Outcome } from '../outcome';
import { noteFor } from './note-for-event';
import { findNoteTarget } from './note-target';

/** Iterable events become notes where sales looks: the contact's latest deal, else the contact. */
// Each job's email search is a Kommo call of its own; 50 waiting jobs let lead reads and notes share batches of 50.
@Processor(QUEUES.iterableToKommo, { concurrency: 50, ...WORKER_RECOVERY, settings: { backoffStrategy } })
export class IterableToKommoProcessor extends PolicyWorkerHost {
  protected readonly apis: ApiName[] = ['kommo'];
  private readonly notes: NoteTexts;

  constructor(
    pauses: ApiPauseRegistry,
    private readonly kommo: KommoClient,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super(pauses);
    this.notes = noteTexts(config.mapping?.notes);
  }

  protected async handle(job: Job<IterableEventData & { done?: string[] }>): Promise<Outcome> {
    if (QUEUE_OF[job.name as JobName] !== QUEUES.iterableToKommo) {
      throw new UnrecoverableError(`unknown job name ${job.name} on ${QUEUES.iterableToKommo}`);
    }
    const text = noteFor(job, this.notes);
    const target = await findNoteTarget(this.kommo, job.data.email);
    if (!target) return skipped(`no Kommo contact has the email ${job.data.email}`);

    await addNoteOnce(job, this.kommo, 'note', target, text);
    if (job.name === 'iterable.email-unsubscribed') {
      await once(job, 'tag', async () => {
        for (const c of target.contacts) await this.kommo.addContactTags(c.id, [UNSUBSCRIBED_TAG]);
      });
    }
    return synced(`note on ${target.entity} ${target.id}`);
  }
}
