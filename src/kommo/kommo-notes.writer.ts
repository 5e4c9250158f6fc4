import { PermanentApiError, TransientApiError } from '../delivery/errors';
import type { KommoHttp } from './kommo-http';
import type { NewNote, NoteEntity } from './kommo.types';

/** Kommo takes up to 250 entities per write and recommends 50. */
export const NOTES_PER_CALL = 50;

type Created = { _embedded?: { notes?: { id: number; request_id?: string }[] } };

/**
 * One array POST for a batch of common notes (≤ NOTES_PER_CALL), with each note's id or error in input order.
 * Kommo validates per item but fails the whole request with a 400 when one item is bad (a deleted lead): the batch
 * is then split in halves and retried, so a bad note fails alone instead of failing 49 good ones, at about
 * 2·log2(50) ≈ 12 extra calls rather than 50 one-by-one. Any other failure is every note's failure.
 */
export async function postNotes(api: KommoHttp, entity: NoteEntity, notes: readonly NewNote[]): Promise<(number | Error)[]> {
  try {
    return await postOnce(api, entity, notes);
  } catch (err) {
    if (notes.length < 2 || !(err instanceof PermanentApiError) || err.status !== 400) throw err;
    const half = Math.ceil(notes.length / 2);
    const parts = await Promise.all(
      [notes.slice(0, half), notes.slice(half)].map((part) => postNotes(api, entity, part).catch((e: Error) => part.map(() => e))),
    );
    return parts.flat();
  }
}

async function postOnce(api: KommoHttp, entity: NoteEntity, notes: readonly NewNote[]): Promise<(number | Error)[]> {
  const endpoint = `POST /${entity}/notes`;
  // Kommo echoes request_id per created note: how ids find their way back to the job that asked.
  const data = notes.map((n, i) => ({ entity_id: n.entityId, note_type: 'common', params: { text: n.text }, request_id: String(i) }));
  const body = await api.call<Created>({ method: 'POST', path: `/${entity}/notes`, endpoint, data });
  const created = body?._embedded?.notes ?? [];
  const echoed = created.every((n) => n.request_id !== undefined) && new Set(created.map((n) => n.request_id)).size === created.length;
  const idOf = (i: number) => (echoed ? created.find((n) => n.request_id === String(i)) : created[i])?.id;
  return notes.map((_, i) => {
    const id = idOf(i);
    // Retried: the job's pending note step looks for it at Kommo before writing again (sync/note-step.ts).
    return typeof id === 'number' ? id : new TransientApiError('kommo', 200, `${endpoint}: Kommo did not confirm note ${i + 1} of ${notes.length}`);
  });
}
