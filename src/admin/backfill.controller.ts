import { Body, ConflictException, Controller, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { IsISO8601, IsOptional, Validate, ValidatorConstraint, type ValidatorConstraintInterface } from 'class-validator';
import { BackfillService } from '../sync/backfill/backfill.service';
import { validBody } from './admin-body';

@ValidatorConstraint({ name: 'notInFuture' })
class NotInFuture implements ValidatorConstraintInterface {
  validate(v: unknown) {
    return typeof v === 'string' && Date.parse(v) <= Date.now();
  }
  defaultMessage() {
    return 'since must not be in the future';
  }
}

export class BackfillRequest {
  /** only deals won at or after this moment */
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'since must be an ISO 8601 date, e.g. 2025-01-31 or 2025-01-31T00:00:00Z' })
  @Validate(NotInFuture)
  since?: string;
}

/** Starts and follows backfills. Behind the Basic-auth hook on /admin (admin/basic-auth.ts). */
@Controller('admin/backfill')
export class BackfillController {
  constructor(private readonly backfills: BackfillService) {}

  @Post()
  @HttpCode(202)
  async start(@Body() raw: unknown) {
    const { since } = validBody(BackfillRequest, raw);
    const { backfillId, started } = await this.backfills.start(since && new Date(since).toISOString());
    if (!started) throw new ConflictException({ statusCode: 409, message: 'a backfill is already running; follow it at GET /admin/backfill/:id', backfillId });
    return { backfillId };
  }

  @Get(':id')
  async status(@Param('id') id: string) {
    const status = await this.backfills.status(id);
    if (!status) throw new NotFoundException(`no backfill ${id}`);
    return status;
  }
}
