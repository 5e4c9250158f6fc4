import { createHash, timingSafeEqual } from 'node:crypto';

/** Digests of the configured secrets (a handful per process), so a request hashes only what it was given. */
const expectedDigests = new Map<string, Buffer>();

/** Constant-time string comparison; hashing first makes the lengths equal, so length leaks nothing either. */
export function safeEqual(given: string, expected: string): boolean {
  let b = expectedDigests.get(expected);
  if (!b) {
    b = createHash('sha256').update(expected).digest();
    if (expectedDigests.size < 64) expectedDigests.set(expected, b);
  }
  return timingSafeEqual(createHash('sha256').update(given).digest(), b);
}
