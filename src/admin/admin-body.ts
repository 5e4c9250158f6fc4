import { BadRequestException } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

/**
 * A JSON admin body checked against a class-validator DTO: an absent body is `{}`, anything but an object is a
 * 400, and so are unknown keys (a typo must not be silently ignored). The message names each bad field.
 */
export function validBody<T extends object>(dto: new () => T, raw: unknown): T {
  const body = raw === undefined || raw === null || raw === '' ? {} : raw;
  if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequestException('body must be a JSON object');
  const value = plainToInstance(dto, body);
  const errors = validateSync(value, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length) throw new BadRequestException(errors.flatMap((e) => Object.values(e.constraints ?? {})).join('; '));
  return value;
}
