import { skipped, type Outcome } from '../sync/outcome';
import { PermanentApiError } from './errors';

/**
 * Iterable refuses writes for a GDPR-forgotten user (409 on users/update, 400 on events/track, code
 * ForgottenUserError). The person asked not to be tracked: that is an outcome, not a failure to replay.
 */
export function isForgottenUser(err: unknown): err is PermanentApiError {
  return err instanceof PermanentApiError && err.api === 'iterable' && err.code === 'ForgottenUserError';
}

/** For `.catch()` around a handler: a forgotten user completes the job as skipped, anything else stays an error. */
export function skipForgottenUser(err: unknown): Outcome {
  if (isForgottenUser(err)) return skipped(`forgotten user (GDPR): Iterable keeps no profile for them - ${err.message}`);
  throw err;
}
