import { BACKOFF_CAP_MS, backoffDelay } from './job-policy';

describe('backoffDelay', () => {
  it('doubles per attempt, within [half, full] of the exponential step', () => {
    expect(backoffDelay(1, 5000, () => 0)).toBe(2500);
    expect(backoffDelay(1, 5000, () => 1)).toBe(5000);
    expect(backoffDelay(3, 5000, () => 1)).toBe(20000);
    expect(backoffDelay(3, 5000, () => 0)).toBe(10000);
  });

  it('is capped, so a long outage still retries every few minutes', () => {
    expect(backoffDelay(30, 5000, () => 1)).toBe(BACKOFF_CAP_MS);
  });

  it('spreads concurrent retries apart (jitter)', () => {
    const delays = new Set(Array.from({ length: 20 }, () => backoffDelay(4, 5000)));
    expect(delays.size).toBeGreaterThan(10);
  });
});
