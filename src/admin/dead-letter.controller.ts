import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { validBody } from './admin-body';
import { DeadLetterQuery, LIST_LIMIT, REPLAY_LIMIT, ReplayRequest } from './dead-letter.dto';
import { DeadLetterService } from './dead-letter.service';

/**
 * Dead letters: list and replay. Behind the Basic-auth hook on /admin (admin/basic-auth.ts); AppModule registers
 * this controller only when admin credentials are configured and the role serves HTTP. Unknown filter keys are
 * refused: a typo must not widen a replay to every dead letter.
 */
@Controller('admin/dead-letter')
export class DeadLetterController {
  constructor(private readonly deadLetters: DeadLetterService) {}

  @Get()
  list(@Query() raw: unknown) {
    const query = validBody(DeadLetterQuery, raw);
    return this.deadLetters.list({ ...query, limit: query.limit ?? LIST_LIMIT.default });
  }

  @Post('replay')
  @HttpCode(200)
  replay(@Body() raw: unknown) {
    const body = validBody(ReplayRequest, raw);
    return this.deadLetters.replay({ ...body, limit: body.limit ?? REPLAY_LIMIT.default });
  }
}
