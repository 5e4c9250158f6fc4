import { Inject } from '@nestjs/common';
import { Processor } from '@nestjs/bullmq';
import { UnrecoverableError, type Job } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ApiPauseRegistry } from '../delivery/api-pause';
import { PermanentApiError, type ApiName } from '../delivery/errors';
import { backoffStrategy } from '../delivery/job-policy';
import { PolicyWorkerHost } from '../delivery/policy-worker.host';
import { once } from '../delivery/steps';
import { IterableClient } from '../iterable/iterable.client';
import { KommoClient } from '../kommo/kommo.client';
import { findNoteTarget } from '../sync/iterable-to-kommo/note-target';
import { addNoteOnce } from '../sync/note-step';
import { OPS_JOBS, QUEUES, type GdprForget } from '../sync/jobs';
import { noteTexts } from '../sync/note-texts';
import { synced, type Outcome } from '../sync/outcome';

/**
 * A GDPR request: Iterable forgets (or deletes) the person, then a note on their latest Kommo deal (else their
 * contact) records it for sales. Steps are saved on the job, so a retry after the note failed does not call
 * users/forget again (each call counts against Iterable's 1000 a day).
 */
@Processor(QUEUES.gdpr, { concurrency: 3, settings: { backoffStrategy } })
export class GdprProcessor extends PolicyWorkerHost {
  protected readonly apis: ApiName[] = ['iterable', 'kommo'];

  constructor(
    pauses: ApiPauseRegistry,
    private readonly iterable: IterableClient,
    private readonly kommo: KommoClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super(pauses);
  }

  protected async handle(job: Job<GdprForget>): Promise<Outcome> {
    if (job.name !== OPS_JOBS.gdprForget) throw new UnrecoverableError(`unknown job name ${job.name} on ${QUEUES.gdpr}`);
    const { email, mode } = job.data;
    await once(job, 'iterable', () => (mode === 'delete' ? this.deleteUser(email) : this.iterable.forgetUser(email)));
    const notes = noteTexts(this.config.mapping?.notes);
    const text = mode === 'delete' ? notes.gdprDeleted() : notes.gdprForgotten();
    const target = await findNoteTarget(this.kommo, email);
    if (!target) return synced(`${mode === 'delete' ? 'deleted' : 'forgotten'} in Iterable; no Kommo contact has the email, so no note`);
    await addNoteOnce(job, this.kommo, 'note', target, text);
    return synced(`${mode === 'delete' ? 'deleted' : 'forgotten'} in Iterable; note on ${target.entity} ${target.id}`);
  }

  /** Nothing to delete is what the request wants: Iterable's 400 "User does not exist" is success here. */
  private async deleteUser(email: string): Promise<void> {
    try {
      await this.iterable.deleteUser(email);
    } catch (err) {
      if (err instanceof PermanentApiError && err.status === 400 && /does not exist/i.test(err.message)) return;
      throw err;
    }
  }
}
