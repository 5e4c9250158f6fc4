import { Body, Controller, HttpCode, HttpException, HttpStatus, Post, Res } from '@nestjs/common';
import { IsEmail, IsString, MaxLength } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { ForgetQuotaExceededError } from '../gdpr/forget-quota';
import { GdprService } from '../gdpr/gdpr.service';
import { validBody } from './admin-body';

export class GdprForgetRequest {
  @IsString({ message: 'email is required' })
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be an email address' })
  email!: string;
}

/** GDPR requests, answered once stored (202); the work is a durable job. Behind the Basic-auth hook on /admin. */
@Controller('admin/gdpr')
export class GdprController {
  constructor(private readonly gdpr: GdprService) {}

  @Post('forget')
  @HttpCode(202)
  async forget(@Body() raw: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const { email } = validBody(GdprForgetRequest, raw);
    try {
      return await this.gdpr.request(email);
    } catch (err) {
      if (!(err instanceof ForgetQuotaExceededError)) throw err;
      void reply.header('Retry-After', String(Math.ceil(err.retryAfterMs / 1000)));
      throw new HttpException({ statusCode: 429, error: 'Too Many Requests', message: err.message }, HttpStatus.TOO_MANY_REQUESTS);
    }
  }
}
