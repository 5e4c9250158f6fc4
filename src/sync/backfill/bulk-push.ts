import { PermanentApiError } from '../../delivery/errors';
import type { IterableClient } from '../../iterable/iterable.client';
import type { BulkListResponse, DataFields } from '../../iterable/iterable.types';

/** Iterable's ceilings for one users/bulkUpdate call; the byte cap keeps headroom for the envelope. */
export const MAX_USERS_PER_CALL = 1000;
export const MAX_BYTES_PER_CALL = 4 * 1024 * 1024 - 16 * 1024;

export interface Profile {
  leadId: number;
  email: string;
  dataFields: DataFields;
}

export interface PushResult {
  pushed: number;
  /** refused by Iterable, with its reason: each becomes a dead letter */
  failed: { profile: Profile; reason: string }[];
  /** GDPR-forgotten: Iterable will never take them, and should not */
  forgotten: Profile[];
  /** `failCount` beyond the users Iterable named: counted, but there is nobody to dead-letter */
  unattributed: number;
  calls: number;
}

type BulkClient = Pick<IterableClient, 'bulkUpdateUsers'>;

/** `notFound*` lists are for subscribe calls only; the rest name users this call did not update. */
const FAILURE_LISTS = ['invalidEmails', 'invalidDataEmails', 'conflictEmails', 'forgottenEmails'] as const;

/**
 * Pushes profiles with users/bulkUpdate in calls of ≤ 1000 users and ≤ 4 MB. Iterable answers a type mismatch
 * in any one profile with a 400 for the whole call (RequestFieldsTypesMismatched), so such a call is split in
 * halves and retried until the bad profiles stand alone: one bad profile costs ~2·log2(n) extra calls, and the
 * other 999 land. Other errors leave as thrown: the job policy decides.
 */
export async function pushProfiles(iterable: BulkClient, profiles: Profile[]): Promise<PushResult> {
  const result: PushResult = { pushed: 0, failed: [], forgotten: [], unattributed: 0, calls: 0 };
  for (const chunk of chunkProfiles(profiles)) await pushChunk(iterable, chunk, result);
  return result;
}

export function chunkProfiles(profiles: Profile[], maxUsers = MAX_USERS_PER_CALL, maxBytes = MAX_BYTES_PER_CALL): Profile[][] {
  const chunks: Profile[][] = [];
  let chunk: Profile[] = [];
  let bytes = 0;
  for (const p of profiles) {
    const size = Buffer.byteLength(JSON.stringify({ email: p.email, dataFields: p.dataFields })) + 1;
    if (chunk.length && (chunk.length >= maxUsers || bytes + size > maxBytes)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(p);
    bytes += size;
  }
  if (chunk.length) chunks.push(chunk);
  return chunks;
}

async function pushChunk(iterable: BulkClient, chunk: Profile[], result: PushResult): Promise<void> {
  let answer: BulkListResponse;
  try {
    result.calls++;
    answer = await iterable.bulkUpdateUsers(chunk.map(({ email, dataFields }) => ({ email, dataFields })));
  } catch (err) {
    if (!splittable(err)) throw err;
    if (chunk.length === 1) {
      result.failed.push({ profile: chunk[0], reason: `${err.code}: ${err.message}` });
      return;
    }
    const half = Math.ceil(chunk.length / 2);
    await pushChunk(iterable, chunk.slice(0, half), result);
    await pushChunk(iterable, chunk.slice(half), result);
    return;
  }
  readAnswer(chunk, answer, result);
}

/** A mismatch, or a call too large after all: both are about some profiles, not the request as a whole. */
function splittable(err: unknown): err is PermanentApiError {
  return err instanceof PermanentApiError && (err.code === 'RequestFieldsTypesMismatched' || err.code === 'BatchTooLarge');
}

function readAnswer(chunk: Profile[], answer: BulkListResponse, result: PushResult): void {
  const reasons = new Map<string, string>();
  const lists = (answer.failedUpdates ?? {}) as Record<string, unknown>;
  for (const list of FAILURE_LISTS) {
    const emails = Array.isArray(lists[list]) ? (lists[list] as unknown[]) : [];
    for (const e of emails) if (typeof e === 'string') reasons.set(e.toLowerCase(), list);
  }
  let attributed = 0;
  for (const profile of chunk) {
    const list = reasons.get(profile.email);
    if (!list) continue;
    attributed++;
    if (list === 'forgottenEmails') result.forgotten.push(profile);
    else result.failed.push({ profile, reason: `Iterable users/bulkUpdate did not update this user (${list})` });
  }
  result.pushed += answer.successCount;
  result.unattributed += Math.max(0, answer.failCount - attributed);
}
