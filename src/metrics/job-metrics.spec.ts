import { DelayedError, RateLimitError, UnrecoverableError, Worker } from 'bullmq';
import { attemptOutcomeOf, JobMetrics, successOutcomeOf } from './job-metrics';
import { MetricsRegistry } from './webhook-metrics';

const job = (attemptsMade: number, attempts = 3) => ({ attemptsMade, opts: { attempts } });

describe('attemptOutcomeOf', () => {
  it('reads what the error policy threw the way BullMQ acts on it', () => {
    expect(attemptOutcomeOf(new DelayedError('429'), job(0))).toBe('delayed');
    expect(attemptOutcomeOf(Worker.RateLimitError(), job(0))).toBe('paused');
    expect(attemptOutcomeOf(new RateLimitError(), job(0))).toBe('paused');
    expect(attemptOutcomeOf(new UnrecoverableError('iterable 400'), job(0))).toBe('failed');
    expect(attemptOutcomeOf(new Error('socket hang up'), job(0))).toBe('retried');
    expect(attemptOutcomeOf(new Error('socket hang up'), job(1))).toBe('retried');
    expect(attemptOutcomeOf(new Error('socket hang up'), job(2))).toBe('failed');
    expect(attemptOutcomeOf(new Error('x'), { attemptsMade: 0, opts: {} })).toBe('failed');
  });

  it('tells skipped from completed', () => {
    expect(successOutcomeOf({ outcome: 'synced' })).toBe('completed');
    expect(successOutcomeOf({ outcome: 'skipped', reason: 'stale' })).toBe('skipped');
  });
});

describe('JobMetrics', () => {
  it('counts outcomes by queue and times attempts by queue and job name', async () => {
    const registry = new MetricsRegistry();
    const metrics = new JobMetrics(registry);
    metrics.start({ queueName: 'kommo-to-iterable', name: 'lead.won' })('completed');
    metrics.start({ queueName: 'kommo-to-iterable', name: 'lead.won' })('retried');
    metrics.start({ queueName: 'iterable-to-kommo', name: 'iterable.email-bounced' })('skipped');
    const text = await registry.registry.metrics();
    expect(text).toContain('kis_jobs_total{queue="kommo-to-iterable",outcome="completed"} 1');
    expect(text).toContain('kis_jobs_total{queue="kommo-to-iterable",outcome="retried"} 1');
    expect(text).toContain('kis_jobs_total{queue="iterable-to-kommo",outcome="skipped"} 1');
    expect(text).toContain('kis_job_duration_seconds_count{queue="kommo-to-iterable",name="lead.won"} 2');
  });
});
