import type { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { IterableClient } from '../../iterable/iterable.client';
import { WON_STATUS_ID, type BackfillRun, type BackfillStats } from '../jobs';
import { profilesForPage, wonAtOf, type PageDeps } from './backfill-page';
import { pushProfiles, type PushResult } from './bulk-push';

export interface RunDeps extends PageDeps {
  iterable: IterableClient;
  logger: Logger;
  /** true once the worker is closing: the run stops at the next page and resumes elsewhere */
  stopping: () => boolean;
  /** turns refused profiles into dead letters */
  deadLetter: (job: Job<BackfillRun>, failed: PushResult['failed']) => Promise<void>;
}

export const NO_STATS: BackfillStats = { pages: 0, leads: 0, users: 0, failed: 0, skipped: 0 };

/**
 * Walks Kommo's Won deals page by page (250, in id order) from the job's checkpoint. Kommo calls overlap so the
 * rate slots, not round trips, set the pace: page n+1 is listed while page n's contacts are read, and page n is
 * pushed to Iterable meanwhile. Pushes finish in page order, and each moves the checkpoint (`data.page`, with the
 * stats so far) only once its profiles are in Iterable. A worker that is closing lists no further page, finishes
 * the one in hand and stops: no page is read twice. A crash or a retry redoes at most the pages in flight, which is
 * harmless: bulkUpdate is an upsert and dead-letter ids are per lead.
 */
export async function runBackfill(job: Job<BackfillRun>, deps: RunDeps): Promise<'done' | 'stopped'> {
  const since = job.data.since ? Math.floor(Date.parse(job.data.since) / 1000) : undefined;
  const list = (page: number) => deps.kommo.listLeads({ statusIds: [WON_STATUS_ID], updatedFrom: since, page });
  let stats: BackfillStats = { ...NO_STATS, ...job.data.stats };
  let pushing: Promise<void> = Promise.resolve();
  let page = job.data.page;
  let listing = quiet(list(page));
  let stopped = false;
  try {
    for (;;) {
      const { leads, hasNext } = await listing;
      stopped = hasNext && deps.stopping();
      const more = hasNext && !stopped;
      if (more) listing = quiet(list(page + 1));
      // `updated_at` narrows the listing server-side; "since" means won since, so `closed_at` decides.
      const won = since === undefined ? leads : leads.filter((l) => wonAtOf(l) >= since);
      const built = await profilesForPage(won, deps);
      await pushing;
      const thisPage = page;
      pushing = quiet(
        (async () => {
          const pushed = await pushProfiles(deps.iterable, built.profiles);
          await deps.deadLetter(job, pushed.failed);
          stats = {
            pages: stats.pages + 1,
            leads: stats.leads + won.length,
            users: stats.users + pushed.pushed,
            failed: stats.failed + pushed.failed.length + pushed.unattributed,
            skipped: stats.skipped + built.noEmail + built.superseded + pushed.forgotten.length,
          };
          await job.updateData({ ...job.data, page: thisPage + 1, stats });
          await job.updateProgress({ ...stats, done: false });
          deps.logger.log({ backfillId: job.data.backfillId, page: thisPage, ...stats, iterableCalls: pushed.calls }, `backfill page ${thisPage} pushed`);
        })(),
      );
      if (!more) break;
      page++;
    }
    await pushing;
    if (stopped) return 'stopped';
    await job.updateProgress({ ...stats, done: true });
    return 'done';
  } finally {
    // Nothing may still be calling out once the job leaves (the worker may be closing its connections).
    await Promise.all([pushing.catch(() => undefined), listing.catch(() => undefined)]);
  }
}

/** Awaited later (before the next step or on the way out); until then a failure must not count as unhandled. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}
