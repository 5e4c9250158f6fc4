import type { KommoHttp } from './kommo-http';
import type { KommoNote, NoteEntity } from './kommo.types';

/** One job's question: the common notes on `entityId` updated at or after `since` (unix seconds). */
export interface RecentNotesQuery {
  entityId: number;
  since: number;
}

/** `filter[entity_id][]` ids per call: the URL stays short, and a re-run crowd after a crash shares a few calls. */
export const NOTE_QUERIES_PER_CALL = 50;
const PAGE = 250;
/** Notes of 50 entities since a crash minutes ago fill far less; the bound only keeps a runaway listing finite. */
const MAX_PAGES = 10;

type Listed = { _links?: { next?: unknown }; _embedded?: { notes?: KommoNote[] } };

/**
 * Recent common notes of several entities in one listing (`GET /{entity}/notes?filter[entity_id][]=…`), from the
 * earliest `since` asked; each query gets its own entity's notes from its own `since` on. Kommo answers 204 for none.
 */
export async function readRecentNotes(api: KommoHttp, entity: NoteEntity, queries: readonly RecentNotesQuery[]): Promise<KommoNote[][]> {
  const from = Math.min(...queries.map((q) => q.since));
  const filter = { entity_id: [...new Set(queries.map((q) => q.entityId))], note_type: ['common'], updated_at: { from } };
  const notes: KommoNote[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const query = { filter, limit: PAGE, page };
    const body = await api.call<Listed>({ method: 'GET', path: `/${entity}/notes`, endpoint: `GET /${entity}/notes`, query });
    notes.push(...(body?._embedded?.notes ?? []));
    if (!body?._links?.next) break;
  }
  return queries.map((q) => notes.filter((n) => n.entity_id === q.entityId && n.updated_at >= q.since));
}
