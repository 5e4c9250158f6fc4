import type { Job } from 'bullmq';
import type { StepProgress } from '../sync/jobs';

/**
 * Runs a side effect at most once per job: completed step names are saved on the job in Redis, so a retry after
 * partial success (note written, then the workflow trigger failed) skips what already happened.
 *
 * A crash (or a lost answer) between the effect and its record still repeats it on the re-run: `onceChecked` closes
 * that gap for effects that can be looked up afterwards.
 */
export async function once<T extends StepProgress>(job: Job<T>, step: string, effect: () => Promise<unknown>): Promise<boolean> {
  if (job.data.done?.includes(step)) return false;
  await effect();
  await markDone(job, step);
  return true;
}

/**
 * `once` for an effect whose result can be found afterwards (a Kommo note). The step is marked pending on the job
 * before the call goes out; a re-run that finds it pending, not done (the process died with the call in flight, or
 * the answer was lost), asks `happenedSince(first attempt, ms)` and repeats the effect only if it did not happen.
 * The normal path costs one more job update and no lookup.
 */
export async function onceChecked<T extends StepProgress>(
  job: Job<T>,
  step: string,
  effect: () => Promise<unknown>,
  happenedSince: (sinceMs: number) => Promise<boolean>,
): Promise<boolean> {
  if (job.data.done?.includes(step)) return false;
  const since = job.data.pending?.[step];
  if (since !== undefined && (await happenedSince(since))) {
    await markDone(job, step);
    return false;
  }
  // The first attempt's time is kept across re-runs: an earlier attempt's write may be the one that landed.
  if (since === undefined) await job.updateData({ ...job.data, pending: { ...job.data.pending, [step]: Date.now() } });
  await effect();
  await markDone(job, step);
  return true;
}

async function markDone<T extends StepProgress>(job: Job<T>, step: string): Promise<void> {
  const { [step]: _settled, ...pending } = job.data.pending ?? {};
  const data = { ...job.data, done: [...(job.data.done ?? []), step] };
  if (Object.keys(pending).length) data.pending = pending;
  else delete data.pending;
  await job.updateData(data);
}
