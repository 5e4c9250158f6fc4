import { eventId, iterableDate } from './iterable-format';

describe('iterableDate', () => {
  it('formats a Date in UTC as YYYY-MM-DD HH:MM:SS +00:00', () => {
    expect(iterableDate(new Date('2026-11-26T13:00:05.789+03:00'))).toBe('2026-11-26 10:00:05 +00:00');
  });

  it('reads a number as unix seconds', () => {
    expect(iterableDate(1795687200)).toBe('2026-11-26 10:00:00 +00:00');
    expect(iterableDate(0)).toBe('1970-01-01 00:00:00 +00:00');
  });

  it('refuses an invalid date rather than sending garbage', () => {
    expect(() => iterableDate(new Date('nope'))).toThrow(RangeError);
  });
});

describe('eventId', () => {
  it('is deterministic, 64 lowercase hex characters', () => {
    const id = eventId('deal_won', 123, 'a@example.com');
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(eventId('deal_won', 123, 'a@example.com')).toBe(id);
  });

  it('treats a numeric part and its string form alike', () => {
    expect(eventId('deal_won', 123)).toBe(eventId('deal_won', '123'));
  });

  it('differs when parts differ, including where the boundaries fall', () => {
    expect(eventId('deal_won', 123)).not.toBe(eventId('deal_won', 124));
    expect(eventId('a:b', 'c')).not.toBe(eventId('a', 'b:c'));
    expect(eventId('ab', 'c')).not.toBe(eventId('a', 'bc'));
  });

  it('stays within Iterable’s 512-byte id limit for long inputs', () => {
    expect(Buffer.byteLength(eventId('x'.repeat(10_000)))).toBeLessThanOrEqual(512);
  });
});
