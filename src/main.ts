import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/config';
import { createApp } from './app.factory';

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
  await app.listen(config.port, '0.0.0.0');
}

void bootstrap();
