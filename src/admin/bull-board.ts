import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';

export const BOARD_PATH = '/admin/queues';

/** Bull Board for every queue; failed jobs there are the dead letters, retryable from the UI. */
export async function mountBullBoard(fastify: FastifyInstance, queues: Queue[]): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter, options: { uiConfig: { boardTitle: 'kommo-iterable-sync' } } });
  await fastify.register(serverAdapter.registerPlugin() as never, { prefix: BOARD_PATH });
}
