import type { Job } from 'bullmq';
import type { AppConfig } from '../../config/config';
import type { IterableClient } from '../../iterable/iterable.client';
import type { KommoClient } from '../../kommo/kommo.client';
import type { DropReporter } from '../../mapping/drop-reporter';
import type { JobOf, KommoJobName } from '../jobs';
import type { Outcome } from '../outcome';
import type { CustomerStateGuard } from './customer-state';
import type { WonTransitionGuard } from './won-transition';

/** What a Kommo → Iterable handler needs; handlers are plain functions, testable without Nest. */
export interface KommoToIterableDeps {
  kommo: KommoClient;
  iterable: IterableClient;
  config: AppConfig;
  customerState: CustomerStateGuard;
  /** one set of Won effects per Won, whichever delivery paths bring it */
  wonTransitions: WonTransitionGuard;
  /** mapped values that could not be coerced: logged and counted, never sent */
  reportDropped: DropReporter;
}

export type KommoHandler<N extends KommoJobName> = (job: Job<JobOf<N>>, deps: KommoToIterableDeps) => Promise<Outcome>;
