import type { Job } from 'bullmq';
import type { StepProgress } from '../sync/jobs';

/**
 * Runs a side effect at most once per job: completed step names are saved on the job in Redis, so a retry after
 * partial success (note written, then the workflow trigger failed) skips what already happened.
 */
export async function once<T extends StepProgress>(job: Job<T>, step: string, effect: () => Promise<unknown>): Promise<boolean> {
  if (job.data.done?.includes(step)) return false;
  await effect();
  await job.updateData({ ...job.data, done: [...(job.data.done ?? []), step] });
  return true;
}
