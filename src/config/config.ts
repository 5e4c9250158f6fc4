import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { EnvVars } from './env.schema';
import { loadSyncConfig, type SyncConfig } from './sync-config';

export const APP_CONFIG = Symbol('APP_CONFIG');

/** Iterable's documented per-project limits (requests/second); SPEC lets an operator override them. */
export const ITERABLE_LIMITS: Record<string, number> = {
  'users/update': 500,
  'events/track': 2000,
  'users/bulkUpdate': 5,
  'events/trackBulk': 10,
  'users/forget': 3,
};

export interface AppConfig {
  port: number;
  redisUrl: string;
  queuePrefix: string;
  role: 'api' | 'worker' | 'all';
  logLevel: string;
  kommo: {
    baseUrl: string;
    accessToken?: string;
    oauth?: { clientId: string; clientSecret: string; redirectUri: string; refreshToken: string };
    webhookToken: string;
    accountId?: number;
    ratePerSecond: number;
    planFieldId?: number;
    companyFieldId?: number;
  };
  iterable: {
    baseUrl: string;
    apiKey: string;
    webhookSecret: string;
    onboardingWorkflowId?: number;
    customersListId?: number;
    limits: Record<string, number>;
  };
  jobs: {
    attempts: number;
    backoffMs: number;
    /** How long work pauses after a 401/403 before re-probing; AUTH_PAUSE_MS when unset (set only by tests). */
    authPauseMs?: number;
  };
  admin?: { username: string; password: string };
  /** Scheduled catch-up of status changes Kommo never delivered; `intervalMs` 0 = off (also when absent). */
  reconcile?: { intervalMs: number };
  /** `forget` blocks future collection (1000 calls per 24 h); `delete` removes the profile only. Default forget. */
  gdpr?: { mode: 'forget' | 'delete'; forgetDailyLimit: number };
  syncConfigPath?: string;
  /**
   * The mapping file (SYNC_CONFIG_PATH), validated. Its plan/company field ids and default workflow/list ids are
   * already merged into `kommo` and `iterable` above, where the environment variables win.
   */
  mapping?: SyncConfig;
  /** Strings that must never reach a log line, a metric or a job shown in Bull Board. */
  secrets: string[];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses and validates the environment. Throws a ConfigError whose message names every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') raw[k] = v;
  const vars = plainToInstance(EnvVars, raw, { exposeDefaultValues: true });
  const problems = validateSync(vars, { forbidUnknownValues: false }).map((e) =>
    raw[e.property] === undefined ? `${e.property}: is required` : `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`,
  );
  const oauthKeys = ['KOMMO_CLIENT_ID', 'KOMMO_CLIENT_SECRET', 'KOMMO_REDIRECT_URI', 'KOMMO_REFRESH_TOKEN'] as const;
  const oauthSet = oauthKeys.filter((k) => vars[k]);
  if (!vars.KOMMO_ACCESS_TOKEN && oauthSet.length < oauthKeys.length) {
    const missing = oauthKeys.filter((k) => !vars[k]).join(', ');
    problems.push(`KOMMO_ACCESS_TOKEN: required unless OAuth is configured (missing ${missing})`);
  }
  if (Boolean(vars.ADMIN_USERNAME) !== Boolean(vars.ADMIN_PASSWORD)) {
    problems.push('ADMIN_USERNAME/ADMIN_PASSWORD: set both to enable /admin, or neither');
  }
  const limits = { ...ITERABLE_LIMITS };
  for (const [k, v] of Object.entries(raw)) {
    const m = /^ITERABLE_RATE_LIMIT_(.+)$/.exec(k);
    if (!m) continue;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) problems.push(`${k}: must be a positive integer (requests per second)`);
    else limits[m[1].toLowerCase().replace(/__/g, '/').replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = n;
  }
  let mapping: SyncConfig | undefined;
  if (vars.SYNC_CONFIG_PATH) {
    const loaded = loadSyncConfig(vars.SYNC_CONFIG_PATH);
    if ('problems' in loaded) problems.push(...loaded.problems.map((p) => `SYNC_CONFIG_PATH (${vars.SYNC_CONFIG_PATH}): ${p}`));
    else mapping = loaded.config;
  }
  if (problems.length) throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);

  const oauth = !vars.KOMMO_ACCESS_TOKEN
    ? {
        clientId: vars.KOMMO_CLIENT_ID!,
        clientSecret: vars.KOMMO_CLIENT_SECRET!,
        redirectUri: vars.KOMMO_REDIRECT_URI!,
        refreshToken: vars.KOMMO_REFRESH_TOKEN!,
      }
    : undefined;
  return {
    port: vars.PORT,
    redisUrl: vars.REDIS_URL,
    queuePrefix: vars.QUEUE_PREFIX,
    role: vars.ROLE,
    logLevel: vars.LOG_LEVEL,
    kommo: {
      baseUrl: vars.KOMMO_BASE_URL.replace(/\/+$/, ''),
      accessToken: vars.KOMMO_ACCESS_TOKEN,
      oauth,
      webhookToken: vars.KOMMO_WEBHOOK_TOKEN,
      accountId: vars.KOMMO_ACCOUNT_ID,
      ratePerSecond: vars.KOMMO_RATE_LIMIT_PER_SECOND,
      planFieldId: vars.KOMMO_PLAN_FIELD_ID ?? mapping?.planFieldId,
      companyFieldId: vars.KOMMO_COMPANY_FIELD_ID ?? mapping?.companyFieldId,
    },
    iterable: {
      baseUrl: vars.ITERABLE_BASE_URL.replace(/\/+$/, ''),
      apiKey: vars.ITERABLE_API_KEY,
      webhookSecret: vars.ITERABLE_WEBHOOK_SECRET,
      onboardingWorkflowId: vars.ITERABLE_ONBOARDING_WORKFLOW_ID ?? mapping?.onboardingWorkflowId,
      customersListId: vars.ITERABLE_CUSTOMERS_LIST_ID ?? mapping?.customersListId,
      limits,
    },
    jobs: { attempts: vars.JOB_ATTEMPTS, backoffMs: vars.JOB_BACKOFF_MS },
    admin: vars.ADMIN_USERNAME ? { username: vars.ADMIN_USERNAME, password: vars.ADMIN_PASSWORD! } : undefined,
    reconcile: { intervalMs: vars.RECONCILE_INTERVAL_MS },
    gdpr: { mode: vars.GDPR_MODE, forgetDailyLimit: vars.GDPR_FORGET_DAILY_LIMIT },
    syncConfigPath: vars.SYNC_CONFIG_PATH,
    mapping,
    secrets: [
      vars.KOMMO_ACCESS_TOKEN,
      vars.KOMMO_CLIENT_SECRET,
      vars.KOMMO_REFRESH_TOKEN,
      vars.KOMMO_WEBHOOK_TOKEN,
      vars.ITERABLE_API_KEY,
      vars.ITERABLE_WEBHOOK_SECRET,
      vars.ADMIN_PASSWORD,
    ].filter((s): s is string => Boolean(s)),
  };
}
