import { GdprProcessor } from '../gdpr/gdpr.processor';
import { BackfillProcessor } from './backfill/backfill.processor';
import { IterableToKommoProcessor } from './iterable-to-kommo/iterable-to-kommo.processor';
import { KommoToIterableProcessor } from './kommo-to-iterable/kommo-to-iterable.processor';
import { ReconcileProcessor } from './reconcile/reconcile.processor';

/** Every queue's processor; started only in the `worker` and `all` roles. */
export const PROCESSORS = [KommoToIterableProcessor, IterableToKommoProcessor, BackfillProcessor, ReconcileProcessor, GdprProcessor];
