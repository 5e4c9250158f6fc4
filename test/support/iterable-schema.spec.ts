import { existsSync, readFileSync } from 'node:fs';
import { SHARED_SPEC_PATH, VENDORED_SPEC_PATH } from './iterable-schema';

describe('vendored Iterable API spec', () => {
  it('is the same document as the reference copy in shared/ (when that copy is present)', () => {
    const vendored = JSON.parse(readFileSync(VENDORED_SPEC_PATH, 'utf8'));
    expect(vendored.swagger).toBe('2.0');
    expect(Object.keys(vendored.paths)).toContain('/api/users/update');
    if (existsSync(SHARED_SPEC_PATH)) expect(vendored).toEqual(JSON.parse(readFileSync(SHARED_SPEC_PATH, 'utf8')));
  });
});
