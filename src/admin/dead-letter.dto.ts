import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { QUEUES, type QueueName } from '../sync/jobs';

export const LIST_LIMIT = { default: 100, max: 1000 };
export const REPLAY_LIMIT = { default: 1000, max: 10_000 };

/** Which dead letters: all filters optional, combined with AND; the time window is on when the job failed. */
class DeadLetterFilterFields {
  @IsOptional()
  @IsIn(Object.values(QUEUES))
  queue?: QueueName;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;
}

/** `GET /admin/dead-letter?…`: query values are strings, so `limit` is converted (and "abc" refused). */
export class DeadLetterQuery extends DeadLetterFilterFields {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(LIST_LIMIT.max)
  limit?: number;
}

/** `POST /admin/dead-letter/replay` body: JSON types are taken as sent (`"limit": "5"` is refused). */
export class ReplayRequest extends DeadLetterFilterFields {
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(REPLAY_LIMIT.max)
  limit?: number;
}

export interface DeadLetterFilter {
  queue?: QueueName;
  name?: string;
  since?: string;
  until?: string;
  limit: number;
}
