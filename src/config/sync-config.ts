import { readFileSync } from 'node:fs';
import { Document, LineCounter, isNode, parseDocument } from 'yaml';
import { validateSyncConfig } from './sync-config.schema';
import type { IssuePath, SyncConfig } from './sync-config.types';

export type { FieldMapping, FieldType, SyncConfig } from './sync-config.types';

/**
 * Reads and validates the mapping file named by SYNC_CONFIG_PATH. Problems come back as lines such as
 * `fields[2].type (line 14): unknown type "int" (expected one of …)`, every one of them, so a single boot shows
 * all that is wrong with the file.
 */
export function loadSyncConfig(path: string): { config: SyncConfig } | { problems: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { problems: [`cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`] };
  }
  return parseSyncConfig(text);
}

/** Parses and validates mapping YAML (what loadSyncConfig does once the file is read). */
export function parseSyncConfig(text: string): { config: SyncConfig } | { problems: string[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    // One syntax error cascades into dozens; the first few locate it.
    return { problems: doc.errors.slice(0, 3).map((e) => `${at(lines, e.pos[0])}: ${e.message.split('\n')[0]}`) };
  }
  const { config, issues } = validateSyncConfig(doc.toJS());
  if (config) return { config };
  return { problems: issues.map((i) => `${pathText(i.path)}${lineOf(doc, lines, i.path)}: ${i.message}`) };
}

/** `fields[2].type`, `pipelines.7001.stage_events`; the top level is named as such. */
export function pathText(path: IssuePath): string {
  if (!path.length) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function at(lines: LineCounter, offset: number): string {
  const { line, col } = lines.linePos(offset);
  return `line ${line}, column ${col}`;
}

/** The line of the closest node that exists on the path (a missing key points at its parent). */
function lineOf(doc: Document, lines: LineCounter, path: IssuePath): string {
  for (let n = path.length; n > 0; n--) {
    const prefix = path.slice(0, n);
    // YAML keys such as 7001 are numbers in the document and strings once converted to JS.
    const node = doc.getIn(prefix, true) ?? doc.getIn(prefix.map((p) => (typeof p === 'string' && /^\d+$/.test(p) ? Number(p) : p)), true);
    if (isNode(node) && node.range) return ` (line ${lines.linePos(node.range[0]).line})`;
  }
  return '';
}
