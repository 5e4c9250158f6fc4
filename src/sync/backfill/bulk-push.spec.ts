import { PermanentApiError, TransientApiError } from '../../delivery/errors';
import type { BulkListResponse } from '../../iterable/iterable.types';
import { chunkProfiles, pushProfiles, type Profile } from './bulk-push';

const profiles = (n: number, fields: Record<string, unknown> = { isCustomer: true }): Profile[] =>
  Array.from({ length: n }, (_, i) => ({ leadId: i + 1, email: `u${i}@x.io`, dataFields: { ...fields, crmDealId: String(i + 1) } }));

const ok = (n: number, failedUpdates: Record<string, string[]> = {}): BulkListResponse => {
  const failCount = Object.values(failedUpdates).reduce((s, l) => s + l.length, 0);
  return { successCount: n - failCount, failCount, failedUpdates };
};

/** Answers like Iterable: a whole-call 400 when any user carries a bad field. */
function fakeIterable(bad: (u: { email: string }) => boolean) {
  const calls: number[] = [];
  return {
    calls,
    bulkUpdateUsers: async (users: { email: string }[]) => {
      calls.push(users.length);
      if (users.some(bad)) throw new PermanentApiError('iterable', 400, 'users/bulkUpdate 400: types differ: dealValue', 'RequestFieldsTypesMismatched');
      return ok(users.length);
    },
  };
}

describe('chunkProfiles', () => {
  it('cuts at 1000 users and before 4 MB', () => {
    expect(chunkProfiles(profiles(2500)).map((c) => c.length)).toEqual([1000, 1000, 500]);
    const big = profiles(10, { note: 'x'.repeat(1000) });
    expect(chunkProfiles(big, 1000, 3500).map((c) => c.length)).toEqual([3, 3, 3, 1]);
  });
});

describe('pushProfiles', () => {
  it('isolates one mismatched profile by halving; the other 999 land', async () => {
    const iterable = fakeIterable((u) => u.email === 'u777@x.io');
    const result = await pushProfiles(iterable, profiles(1000));
    expect(result.pushed).toBe(999);
    expect(result.failed.map((f) => [f.profile.email, f.reason])).toEqual([['u777@x.io', 'RequestFieldsTypesMismatched: users/bulkUpdate 400: types differ: dealValue']]);
    // 1 + 2 per halving level (1000 → 1 takes 10 levels)
    expect(iterable.calls).toHaveLength(1 + 2 * 10);
    expect(result.calls).toBe(iterable.calls.length);
  });

  it('reads per-user failures of a 200: forgotten users are skipped, the rest dead-lettered, unnamed ones counted', async () => {
    const iterable = {
      bulkUpdateUsers: async (users: { email: string }[]) => ({
        ...ok(users.length, { invalidEmails: ['U1@x.io'], forgottenEmails: ['u2@x.io'], notFoundEmails: [] }),
        failCount: 3,
        successCount: users.length - 3,
      }),
    };
    const result = await pushProfiles(iterable, profiles(5));
    expect(result).toMatchObject({ pushed: 2, unattributed: 1, calls: 1 });
    expect(result.failed.map((f) => [f.profile.email, f.reason])).toEqual([['u1@x.io', 'Iterable users/bulkUpdate did not update this user (invalidEmails)']]);
    expect(result.forgotten.map((p) => p.email)).toEqual(['u2@x.io']);
  });

  it('leaves other errors to the job policy', async () => {
    const iterable = { bulkUpdateUsers: async () => Promise.reject(new TransientApiError('iterable', 503, 'down')) };
    await expect(pushProfiles(iterable, profiles(3))).rejects.toBeInstanceOf(TransientApiError);
  });
});
