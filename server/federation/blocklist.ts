// Mastodon's domain-block lists, the format administrators exchange (and which shared lists such
// as IFTAS' or Oliphant's publish): a CSV with the header
//   #domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate
// or a plain list of server names, one a line. Reading is strict on purpose: an import is all or
// nothing, so every line is checked here and the first bad one is named (its line in the file).
// Pure functions; the policy service decides what an entry changes.
import { csvTable } from '../csv.ts';
import { AppError } from '../errors.ts';
import type { MessageKey } from '../../web/lib/i18n/index.ts';

export type Severity = 'suspend' | 'silence' | 'noop';
export interface BlockEntry {
  /** The line of the file the entry starts on (1 = the first line). */
  line: number;
  host: string;
  severity: Severity;
  rejectMedia: boolean;
  rejectReports: boolean;
  comment: string;
}
export interface BlockRule {
  host: string;
  action: 'allow' | 'block' | 'silence';
  rejectMedia: boolean;
  rejectReports: boolean;
  note: string;
}

export const MAX_IMPORT_LINES = 10_000;
export const MAX_IMPORT_BYTES = 2 * 1024 * 1024;
export const BLOCKLIST_HEADER = ['#domain', '#severity', '#reject_media', '#reject_reports', '#public_comment', '#obfuscate'];
const COMMENT_MAX = 500;
const BOOLEANS: Record<string, boolean> = { '': false, true: true, false: false, '1': true, '0': false, yes: true, no: false, t: true, f: false };
const SEVERITIES: Record<string, Severity> = { '': 'suspend', suspend: 'suspend', silence: 'silence', noop: 'noop' };

/** An invalid_input error whose message names the line (and the offending value). */
export function importError(key: MessageKey, params: Record<string, string | number> = {}): AppError {
  return new AppError('invalid_input', { message: key, params, fields: { file: [key, params] } });
}

/** What to show of a bad value in a message: short, on one line. */
const shown = (v: string) => (v.length > 60 ? `${v.slice(0, 60)}…` : v).replace(/\s+/g, ' ');

interface CsvRecord {
  line: number;
  cells: string[];
}

/** RFC 4180 records (quotes, doubled quotes, line breaks inside quotes; CRLF or LF). */
function csvRecords(text: string): CsvRecord[] {
  const out: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let afterQuote = false;
  let line = 1;
  let start = 1;
  const endRecord = () => {
    cells.push(cell);
    out.push({ line: start, cells });
    cells = [];
    cell = '';
    afterQuote = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
        afterQuote = true;
      } else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
      afterQuote = false;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else if (c === '"' && cell === '' && !afterQuote) {
      quoted = true;
    } else if (afterQuote || c === '"') {
      // Text after a closing quote, or a quote inside an unquoted cell: not CSV.
      throw importError('federation_admin.import_bad_quote', { line });
    } else cell += c;
  }
  if (quoted) throw importError('federation_admin.import_bad_quote', { line: start });
  if (cell !== '' || cells.length) endRecord();
  return out;
}

const blank = (r: CsvRecord) => r.cells.every((c) => c.trim() === '');
const columnName = (c: string) => c.trim().replace(/^"|"$/g, '').trim().toLowerCase().replace(/^#/, '');

/** A plain list: one name a line; blank lines and `#` comments (free text, quotes included) skipped. */
function plainRecords(text: string): CsvRecord[] {
  return text
    .split(/\r\n|\n|\r/)
    .map((l, i) => ({ line: i + 1, cells: l.split(',') }))
    .filter((r) => !blank(r) && !r.cells[0].trim().startsWith('#'));
}

/**
 * Reads a block list: Mastodon's CSV (recognised by a `#domain` column in its first line) or a
 * plain list of names (one a line, each meaning `suspend`). `normalize` turns a name into the
 * host compared everywhere, or null when it is not one. Throws on the first bad line.
 */
export function parseBlocklist(text: string, normalize: (host: string) => string | null): BlockEntry[] {
  const body = text.replace(/^\uFEFF/, '');
  const first = body.split(/\r\n|\n|\r/).find((l) => l.trim() !== '') ?? '';
  const header = first.split(',').map(columnName);
  const csv = header.includes('domain');
  const rows = csv ? csvRecords(body).filter((r) => !blank(r)).slice(1) : plainRecords(body);
  if (rows.length === 0) throw importError('federation_admin.import_empty');
  if (rows.length > MAX_IMPORT_LINES) throw importError('federation_admin.import_too_many', { max: MAX_IMPORT_LINES });
  const at = (r: CsvRecord, name: string) => {
    const i = csv ? header.indexOf(name) : name === 'domain' ? 0 : -1;
    return i >= 0 ? (r.cells[i] ?? '').trim() : '';
  };
  return rows.map((r) => {
    if (!csv && r.cells.length > 1) throw importError('federation_admin.import_one_per_line', { line: r.line });
    const name = at(r, 'domain');
    // A leading "*." (some lists write it) says what a rule means anyway: the server and its subdomains.
    const host = normalize(name.replace(/^\*\./, ''));
    if (!host) throw importError('federation_admin.import_bad_host', { line: r.line, value: shown(name) });
    const severity = SEVERITIES[at(r, 'severity').toLowerCase()];
    if (!severity) throw importError('federation_admin.import_bad_severity', { line: r.line, value: shown(at(r, 'severity')) });
    const flag = (column: string) => {
      const value = BOOLEANS[at(r, column).toLowerCase()];
      if (value === undefined) throw importError('federation_admin.import_bad_boolean', { line: r.line, value: shown(at(r, column)) });
      return value;
    };
    const comment = at(r, 'public_comment').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
    return {
      line: r.line,
      host,
      severity,
      rejectMedia: flag('reject_media'),
      rejectReports: flag('reject_reports'),
      comment: comment.length > COMMENT_MAX ? `${comment.slice(0, COMMENT_MAX - 1)}…` : comment,
    };
  });
}

/** Our action for a Mastodon severity: suspend is our block, noop a rule that only rejects media or reports. */
export const ACTION_OF: Record<Severity, BlockRule['action']> = { suspend: 'block', silence: 'silence', noop: 'allow' };
const SEVERITY_OF: Record<BlockRule['action'], Severity> = { block: 'suspend', silence: 'silence', allow: 'noop' };

/**
 * The rules as Mastodon's CSV. Only restrictions are listed: a plain `allow` (an entry of the
 * allow-list) has no place in a block list. No byte-order mark: Mastodon reads the first header
 * literally and, not finding `#domain`, would take the file for a plain list (every line a
 * suspension). Cells go through the formula-safe writer (a note is free text).
 */
export function formatBlocklist(rules: readonly BlockRule[]): string {
  const rows = rules
    .filter((r) => r.action !== 'allow' || r.rejectMedia || r.rejectReports)
    .map((r) => [r.host, SEVERITY_OF[r.action], r.rejectMedia, r.rejectReports, r.note, false]);
  return csvTable(BLOCKLIST_HEADER, rows).replace(/^\uFEFF/, '');
}
