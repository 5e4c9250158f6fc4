import { Inject, Logger, OnModuleInit } from '@nestjs/common';
import { InjectQueue, OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Job, Queue, UnrecoverableError } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../config/config';
import { errorListener } from '../delivery/error-log';
import { isServiceDestination, KommoWebhooks, maskDestination } from '../kommo/kommo-webhooks';
import { KommoWebhookStatus, KommoWebhookState } from './kommo-webhook.status';
import { KOMMO_WEBHOOK_CHECK, KOMMO_WEBHOOK_CHECK_EVERY_MS, MAINTENANCE_QUEUE } from './maintenance.queue';

/**
 * Every 5 minutes one worker asks Kommo for its webhooks and records whether ours exists and is enabled: Kommo
 * disables a failing hook without telling anyone but the account admins.
 */
@Processor(MAINTENANCE_QUEUE, { concurrency: 1 })
export class KommoWebhookCheckProcessor extends WorkerHost implements OnModuleInit {
  private readonly logger = new Logger(KommoWebhookCheckProcessor.name);

  constructor(
    @InjectQueue(MAINTENANCE_QUEUE) private readonly queue: Queue,
    private readonly webhooks: KommoWebhooks,
    private readonly status: KommoWebhookStatus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  /** Idempotent across replicas (one scheduler per id); not awaited, so a Redis outage does not block startup. */
  onModuleInit() {
    const template = { name: KOMMO_WEBHOOK_CHECK, opts: { attempts: 1, removeOnComplete: 20, removeOnFail: 50 } };
    this.queue
      .upsertJobScheduler(KOMMO_WEBHOOK_CHECK, { every: KOMMO_WEBHOOK_CHECK_EVERY_MS }, template)
      .catch((err: Error) => this.logger.error(`could not schedule the Kommo webhook check: ${err.message}`));
  }

  private readonly workerErrors = errorListener(`worker ${MAINTENANCE_QUEUE}`, this.logger);

  /** Without a listener, a worker's connection error (e.g. Redis going away at shutdown) is printed raw to stderr. */
  @OnWorkerEvent('error')
  onError(err: Error) {
    this.workerErrors(err);
  }

  async process(job: Job): Promise<KommoWebhookState> {
    if (job.name !== KOMMO_WEBHOOK_CHECK) throw new UnrecoverableError(`unknown job name ${job.name} on ${MAINTENANCE_QUEUE}`);
    const checkedAt = new Date().toISOString();
    let ours;
    try {
      ours = (await this.webhooks.list()).filter((h) => isServiceDestination(h.destination, this.config.kommo.webhookToken));
    } catch (err) {
      // Keep the last known answer (a failing check is not a disabled hook), but say the check fails.
      const previous = await this.status.read();
      await this.status.save({ ...previous, checkedAt, error: (err as Error).message });
      throw err;
    }
    const state = { checkedAt, registered: ours.length > 0, disabled: ours.some((h) => h.disabled) };
    await this.status.save(state);
    const where = ours.map((h) => maskDestination(h.destination)).join(', ');
    if (state.disabled) this.logger.warn({ job: job.name }, `Kommo has disabled the webhook ${where}: no Kommo events arrive until it is re-enabled`);
    else if (!state.registered) this.logger.warn({ job: job.name }, 'no Kommo webhook points at this service; register it with kommo:webhook');
    return state;
  }
}
