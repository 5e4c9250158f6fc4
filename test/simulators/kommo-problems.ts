import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';

/** Kommo's error bodies (`application/problem+json`), and the non-JSON pages its nginx front answers with. */

export interface FieldError { code: string; path: string; detail: string }

export const problem = (status: number, detail?: string, extra: Record<string, unknown> = {}) => ({
  title: STATUS_CODES[status] ?? 'Error',
  type: `https://httpstatus.es/${status}`,
  status,
  ...(detail !== undefined ? { detail } : {}),
  ...extra,
});

export const unauthorized = () => problem(401, 'Invalid user name or password');

export const tooManyRequests = (retryAfterSeconds: number) =>
  problem(429, 'You have sent too many requests in a given amount of time. Please try again later.', {
    retry_after: retryAfterSeconds,
  });

export const validationFailed = (errors: { requestId: string; errors: FieldError[] }[]) => ({
  'validation-errors': errors.map((e) => ({ request_id: e.requestId, errors: e.errors })),
  ...problem(400, 'Request validation failed'),
});

export const internalError = () => ({
  title: 'Internal Server Error',
  type: 'https://httpstatus.es/500',
  status: 500,
  trace_id: randomBytes(8).toString('hex'),
});

/** What a blocked IP gets: nginx's own page, not problem+json, so clients must not assume JSON errors. */
export const nginxPage = (status: number) => {
  const line = `${status} ${STATUS_CODES[status] ?? ''}`.trim();
  const lines = ['<html>', `<head><title>${line}</title></head>`, '<body>', `<center><h1>${line}</h1></center>`];
  return [...lines, '<hr><center>nginx</center>', '</body>', '</html>', ''].join('\r\n');
};

export function sendProblem(reply: FastifyReply, status: number, body: object): FastifyReply {
  return reply.code(status).type('application/problem+json').send(JSON.stringify(body));
}

/** The body an injected fault answers with, shaped like Kommo's real answer for that status. */
export function sendFault(reply: FastifyReply, status: number, retryAfterSeconds: number): FastifyReply {
  if (status === 403 || status === 502 || status === 504) return reply.code(status).type('text/html').send(nginxPage(status));
  if (status === 500) return sendProblem(reply, status, internalError());
  if (status === 429) return sendProblem(reply, status, tooManyRequests(retryAfterSeconds));
  if (status === 401) return sendProblem(reply, status, unauthorized());
  if (status === 400) {
    const detail = 'The value you selected is not a valid choice.';
    const errors = [{ code: 'NotSupportedChoice', path: 'custom_fields_values.0.field_id', detail }];
    return sendProblem(reply, status, validationFailed([{ requestId: '0', errors }]));
  }
  if (status === 204) return reply.code(204).send();
  return sendProblem(reply, status, problem(status));
}
