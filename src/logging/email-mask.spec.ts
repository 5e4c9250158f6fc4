import { PassThrough } from 'node:stream';
import { maskEmails, maskEmailsAtInfo } from './email-mask';
import { redactingStream } from './logger.options';

describe('email masking', () => {
  it('keeps the first character and the domain', () => {
    expect(maskEmails('won deal 7 synced for ana.lima@acme.io')).toBe('won deal 7 synced for a***@acme.io');
    expect(maskEmails('Ana+vip@Sub.Acme.co.uk, bo@x.io')).toBe('A***@Sub.Acme.co.uk, b***@x.io');
    expect(maskEmails('/users/ana%40acme.io')).toBe('/users/a***%40acme.io');
  });

  it('leaves what only looks like an address alone', () => {
    const text = 'node_modules/@nestjs/core pkg@1.2.3 @bull-board/api user@localhost';
    expect(maskEmails(text)).toBe(text);
  });

  it('masks info and above, keeps full addresses on debug and trace lines', () => {
    const line = (level: number) => `{"level":${level},"msg":"no Kommo contact has the email ana@acme.io","email":"ana@acme.io"}`;
    expect(maskEmailsAtInfo(line(30))).toBe('{"level":30,"msg":"no Kommo contact has the email a***@acme.io","email":"a***@acme.io"}');
    expect(maskEmailsAtInfo(line(50))).not.toContain('ana@acme.io');
    expect(maskEmailsAtInfo(line(20))).toBe(line(20));
    expect(maskEmailsAtInfo(line(10))).toBe(line(10));
    expect(maskEmailsAtInfo('{"msg":"ana@acme.io"}')).toBe('{"msg":"a***@acme.io"}');
  });

  it('applies in the log stream, next to secret redaction', async () => {
    const out = new PassThrough();
    const written: string[] = [];
    out.on('data', (c: Buffer) => written.push(c.toString()));
    const s = redactingStream(['super-secret-key'], out);
    s.write('{"level":30,"msg":"ana@acme.io via super-secret-key"}\n');
    s.write('{"level":20,"msg":"ana@acme.io"}\n');
    await new Promise((r) => setImmediate(r));
    expect(written.join('')).toBe('{"level":30,"msg":"a***@acme.io via [redacted]"}\n{"level":20,"msg":"ana@acme.io"}\n');
  });
});
