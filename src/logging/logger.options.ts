import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import { Writable } from 'node:stream';
import type { AppConfig } from '../config/config';
import { maskEmailsAtInfo } from './email-mask';

const KOMMO_PATH = /(\/webhooks\/kommo\/)[^/?\s"]+/g;

/** Replaces every configured secret and the Kommo path token, and masks emails at info level, in each line before it is written. */
export function redactingStream(secrets: string[], out: NodeJS.WritableStream = process.stdout): Writable {
  const needles = secrets.filter((s) => s.length >= 4);
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      let line = chunk.toString('utf8').replace(KOMMO_PATH, '$1[redacted]');
      for (const s of needles) line = line.split(s).join('[redacted]');
      // after the secrets: a masked secret would no longer match its needle
      out.write(maskEmailsAtInfo(line), done);
    },
  });
}

export function loggerOptions(config: AppConfig, out?: NodeJS.WritableStream): Params {
  return {
    // The webhook hot path skips pino-http's per-request child logger and async context (~20% of an ingest's CPU in
    // `npm run bench`); its controllers log their own line with the delivery's request id.
    exclude: [{ method: RequestMethod.POST, path: 'webhooks/*path' }],
    pinoHttp: [
      {
        level: config.logLevel,
        autoLogging: false,
        redact: { paths: ['req.headers.authorization', 'req.headers["api-key"]', 'req.headers.cookie'], censor: '[redacted]' },
        serializers: {
          req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url.replace(KOMMO_PATH, '$1[redacted]') }),
        },
      },
      redactingStream(config.secrets, out),
    ],
  };
}
