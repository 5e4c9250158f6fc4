import type { FastifyReply, FastifyRequest } from 'fastify';
import { safeEqual } from '../webhooks/safe-equal';

/**
 * HTTP Basic in front of everything under /admin, Bull Board included: the board is a Fastify plugin, so Nest
 * guards never see its routes; a Fastify hook does.
 */
export function basicAuthHook(username: string, password: string) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!req.url.startsWith('/admin')) return;
    const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
    const [user, ...rest] = Buffer.from(encoded ?? '', 'base64').toString('utf8').split(':');
    const ok = /^basic$/i.test(scheme ?? '') && safeEqual(user ?? '', username) && safeEqual(rest.join(':'), password);
    if (!ok) {
      await reply.code(401).header('WWW-Authenticate', 'Basic realm="kommo-iterable-sync admin", charset="UTF-8"').send({ statusCode: 401, message: 'Unauthorized' });
    }
  };
}
