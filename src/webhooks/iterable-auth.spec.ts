import { iterableAuthorized } from './iterable-webhook.controller';

describe('iterableAuthorized', () => {
  const secret = 'J1qK1c18UUGJFAzz9xnH56584l4';
  it.each([secret, `Basic ${secret}`, `OAuth2 ${secret}`, `Bearer ${secret}`, `  ${secret}  `])('accepts %s', (h) => {
    expect(iterableAuthorized(h, secret)).toBe(true);
  });
  it.each([undefined, '', 'Basic', `Basic ${secret}x`, secret.slice(1), `Token ${secret}`])('refuses %s', (h) => {
    expect(iterableAuthorized(h, secret)).toBe(false);
  });
});
