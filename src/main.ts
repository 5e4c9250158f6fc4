import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from './config/config';
import { createApp } from './app.factory';

/**
 * How long active jobs get to finish after SIGTERM (Nest's shutdown hooks: ready turns 503, workers stop taking
 * jobs and drain, HTTP closes, exit 0). A job still running then is re-run elsewhere as a stalled job.
 * docker-compose.yml's stop_grace_period (40 s) must stay above it, or the container is killed mid-drain.
 */
const DRAIN_BOUND_MS = 25_000;

function boundDrain(): void {
  const arm = (signal: NodeJS.Signals) => {
    const logger = new Logger('Shutdown');
    logger.log(`${signal}: finishing active jobs (at most ${DRAIN_BOUND_MS / 1000} s)`);
    setTimeout(() => {
      logger.error(`jobs still active ${DRAIN_BOUND_MS / 1000} s after ${signal}: exiting; they will be re-run as stalled jobs`);
      process.exit(1);
    }, DRAIN_BOUND_MS).unref();
  };
  process.once('SIGTERM', arm);
  process.once('SIGINT', arm);
}

async function bootstrap() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  const app = await createApp(config);
  boundDrain();
  await app.listen(config.port, '0.0.0.0');
}

void bootstrap();
