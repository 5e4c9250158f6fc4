import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));
const URL_OPTS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** Every environment variable SPEC.md names. Validated once at boot; a failure names the variable. */
export class EnvVars {
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(65535)
  PORT = 3000;

  @IsOptional() @Matches(/^rediss?:\/\//, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @IsOptional() @Matches(/^[A-Za-z0-9_-]+$/, { message: 'may hold only letters, digits, _ and -' })
  QUEUE_PREFIX = 'kis';

  @IsOptional() @IsIn(['api', 'worker', 'all'])
  ROLE: 'api' | 'worker' | 'all' = 'all';

  @IsOptional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @IsUrl(URL_OPTS)
  KOMMO_BASE_URL!: string;

  @IsOptional() @IsString() @MinLength(1)
  KOMMO_ACCESS_TOKEN?: string;

  @IsOptional() @IsString() KOMMO_CLIENT_ID?: string;
  @IsOptional() @IsString() KOMMO_CLIENT_SECRET?: string;
  @IsOptional() @IsUrl(URL_OPTS) KOMMO_REDIRECT_URI?: string;
  @IsOptional() @IsString() KOMMO_REFRESH_TOKEN?: string;

  @IsString() @MinLength(16, { message: 'must be at least 16 characters (it is the only secret on the Kommo webhook URL)' })
  @Matches(/^[A-Za-z0-9._~-]+$/, { message: 'must be URL-safe: letters, digits, . _ ~ -' })
  KOMMO_WEBHOOK_TOKEN!: string;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1)
  KOMMO_ACCOUNT_ID?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000)
  KOMMO_RATE_LIMIT_PER_SECOND = 7;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) KOMMO_PLAN_FIELD_ID?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) KOMMO_COMPANY_FIELD_ID?: number;

  @IsOptional() @IsUrl(URL_OPTS)
  ITERABLE_BASE_URL = 'https://api.iterable.com/api';

  @IsString() @MinLength(1)
  ITERABLE_API_KEY!: string;

  @IsString() @MinLength(8, { message: 'must be at least 8 characters' })
  ITERABLE_WEBHOOK_SECRET!: string;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) ITERABLE_ONBOARDING_WORKFLOW_ID?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) ITERABLE_CUSTOMERS_LIST_ID?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(100)
  JOB_ATTEMPTS = 12;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1)
  JOB_BACKOFF_MS = 5000;

  @IsOptional() @IsString() @MinLength(1) ADMIN_USERNAME?: string;
  @IsOptional() @IsString() @MinLength(8, { message: 'must be at least 8 characters' }) ADMIN_PASSWORD?: string;

  @IsOptional() @IsString() SYNC_CONFIG_PATH?: string;

  /** 0 turns reconciliation off; below a second it would only re-list the same leads. */
  @IsOptional() @Transform(toInt) @ValidateIf((_, v: unknown) => v !== 0) @IsInt() @Max(24 * 3600_000)
  @Min(1000, { message: 'must be 0 (off) or at least 1000 ms' })
  RECONCILE_INTERVAL_MS = 600_000;

  @IsOptional() @IsIn(['forget', 'delete'])
  GDPR_MODE: 'forget' | 'delete' = 'forget';

  /** Iterable allows 1000 `users/forget` calls per project per 24 h; lower it if other tools forget users too. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000)
  GDPR_FORGET_DAILY_LIMIT = 1000;
}
