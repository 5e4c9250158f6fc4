import { PassThrough } from 'node:stream';
import { redactingStream } from './logger.options';

describe('redactingStream', () => {
  it('removes configured secrets and the Kommo path token from every line', async () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (c: Buffer) => lines.push(c.toString()));
    const s = redactingStream(['super-secret-key', 'abc'], out);
    s.write('{"msg":"calling with super-secret-key","url":"/webhooks/kommo/tok-123?x=1"}\n');
    await new Promise((r) => setImmediate(r));
    expect(lines.join('')).toBe('{"msg":"calling with [redacted]","url":"/webhooks/kommo/[redacted]?x=1"}\n');
  });
});
