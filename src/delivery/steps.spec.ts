import type { Job } from 'bullmq';
import type { StepProgress } from '../sync/jobs';
import { once, onceChecked } from './steps';

/** Just what the steps use of a BullMQ job: its data, and updateData writing it (to Redis, in a real job). */
function fakeJob(data: StepProgress = {}): Job<StepProgress> & { saved: StepProgress[] } {
  const job = {
    data,
    saved: [] as StepProgress[],
    async updateData(next: StepProgress) {
      job.data = next;
      job.saved.push(structuredClone(next));
    },
  };
  return job as unknown as Job<StepProgress> & { saved: StepProgress[] };
}

describe('once', () => {
  it('runs an effect and records it; a re-run skips it', async () => {
    const job = fakeJob();
    const effect = jest.fn(async () => undefined);
    expect(await once(job, 'event', effect)).toBe(true);
    expect(await once(job, 'event', effect)).toBe(false);
    expect(effect).toHaveBeenCalledTimes(1);
    expect(job.data).toEqual({ done: ['event'] });
  });
});

describe('onceChecked', () => {
  it('marks the step pending before the effect and done after it, with no lookup', async () => {
    const job = fakeJob({ done: ['profile'] });
    const happened = jest.fn(async () => true);
    const effect = jest.fn(async () => expect(job.data.pending?.note).toEqual(expect.any(Number)));
    expect(await onceChecked(job, 'note', effect, happened)).toBe(true);
    expect(effect).toHaveBeenCalledTimes(1);
    expect(happened).not.toHaveBeenCalled();
    expect(job.data).toEqual({ done: ['profile', 'note'] });
  });

  it('a re-run that finds the step pending asks since the first attempt, and skips an effect that happened', async () => {
    const job = fakeJob({ done: ['profile'], pending: { note: 1_790_000_000_000, tag: 5 } });
    const happened = jest.fn(async () => true);
    const effect = jest.fn(async () => undefined);
    expect(await onceChecked(job, 'note', effect, happened)).toBe(false);
    expect(happened).toHaveBeenCalledWith(1_790_000_000_000);
    expect(effect).not.toHaveBeenCalled();
    expect(job.data).toEqual({ done: ['profile', 'note'], pending: { tag: 5 } });
  });

  it('repeats a pending effect that did not happen, keeping the first attempt time until it is done', async () => {
    const job = fakeJob({ pending: { note: 1000 } });
    const effect = jest.fn(async () => expect(job.data.pending).toEqual({ note: 1000 }));
    expect(await onceChecked(job, 'note', effect, async () => false)).toBe(true);
    expect(effect).toHaveBeenCalledTimes(1);
    expect(job.data).toEqual({ done: ['note'] });
  });

  it('a failed effect stays pending for the retry to check', async () => {
    const job = fakeJob();
    await expect(onceChecked(job, 'note', async () => Promise.reject(new Error('socket hang up')), async () => false)).rejects.toThrow('socket hang up');
    expect(job.data.pending?.note).toEqual(expect.any(Number));
    expect(job.data.done).toBeUndefined();
  });
});
