// Postal code → commune lookups, backed by communes.data.json (see build-communes.ts and
// docs/decisions/0007-commune-data.md).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Commune {
  /** INSEE code; for Paris, Lyon and Marseille the municipal arrondissement's code (75111). */
  code: string;
  name: string;
  postalCode: string;
  departementCode: string;
  departementName: string;
  lat: number | null;
  lon: number | null;
  /** The city an arrondissement belongs to (75056, 69123, 13055), null for other communes. */
  parentCode: string | null;
}

/** One line of the data file: code, name, département, space-separated postal codes, lat, lon, parent. */
export type CommuneRow = [string, string, string, string, number | null, number | null, string?];

export interface CommunesDataFile {
  format: 1;
  attribution: string[];
  departements: Record<string, string>;
  communes: CommuneRow[];
}

interface Index {
  departements: Record<string, string>;
  byPostalCode: Map<string, CommuneRow[]>;
  byCode: Map<string, CommuneRow>;
}

// Next to this module; when the web build bundles a copy of it elsewhere, from the project root.
const HERE = new URL('./communes.data.json', import.meta.url);
const DATA_FILE = existsSync(HERE) ? HERE : join(process.cwd(), 'server', 'geo', 'communes.data.json');
const POSTAL_CODE = /^\d{5}$/;
const EARTH_RADIUS_KM = 6371.0088;

let index: Index | undefined;
let collator: Intl.Collator | undefined;
// Lists are sorted on first request: sorting all 6,300 of them up front would add about
// 40 ms to the first lookup.
const sortedLists = new WeakSet<CommuneRow[]>();

// Parsed on first use rather than at import, so processes that never look up a commune
// (workers, migrations, most tests) don't pay for it. The rows themselves are the index
// entries; Commune objects are only built for results.
function getIndex(): Index {
  if (index) return index;
  const data = JSON.parse(readFileSync(DATA_FILE, 'utf8')) as CommunesDataFile;
  if (data.format !== 1) throw new Error(`communes.data.json: unsupported format ${String(data.format)}`);
  const byPostalCode = new Map<string, CommuneRow[]>();
  const byCode = new Map<string, CommuneRow>();
  for (const row of data.communes) {
    byCode.set(row[0], row);
    if (row[3] === '') continue;
    for (const postalCode of row[3].split(' ')) {
      const list = byPostalCode.get(postalCode);
      if (list) list.push(row);
      else byPostalCode.set(postalCode, [row]);
    }
  }
  index = { departements: data.departements, byPostalCode, byCode };
  return index;
}

function sortByName(rows: CommuneRow[]): CommuneRow[] {
  if (rows.length > 1 && !sortedLists.has(rows)) {
    collator ??= new Intl.Collator('fr', { sensitivity: 'base' });
    const compare = collator.compare;
    rows.sort((a, b) => compare(a[1], b[1]) || (a[0] < b[0] ? -1 : 1));
    sortedLists.add(rows);
  }
  return rows;
}

function servesPostalCode(row: CommuneRow, postalCode: string): boolean {
  return row[3] !== '' && row[3].split(' ').includes(postalCode);
}

// Fresh objects each time so callers can't corrupt the shared index.
function toCommune(row: CommuneRow, postalCode: string, departements: Record<string, string>): Commune {
  const [code, name, departementCode, , lat, lon, parentCode] = row;
  return {
    code,
    name,
    postalCode,
    departementCode,
    departementName: departements[departementCode] ?? departementCode,
    lat,
    lon,
    parentCode: parentCode ?? null,
  };
}

/** True when the value looks like a French postal code (exactly five digits). */
export function isPostalCodeFormat(value: string): boolean {
  return POSTAL_CODE.test(value);
}

/** Communes served by a postal code, sorted by name; [] when the code is unknown or malformed. */
export function communesForPostalCode(postalCode: string): Commune[] {
  if (!isPostalCodeFormat(postalCode)) return [];
  const { byPostalCode, departements } = getIndex();
  const rows = byPostalCode.get(postalCode);
  if (!rows) return [];
  return sortByName(rows).map((row) => toCommune(row, postalCode, departements));
}

/** The commune with this INSEE code, provided the postal code serves it. */
export function findCommune(postalCode: string, communeCode: string): Commune | undefined {
  if (!isPostalCodeFormat(postalCode)) return undefined;
  const { byCode, departements } = getIndex();
  const row = byCode.get(communeCode);
  if (!row || !servesPostalCode(row, postalCode)) return undefined;
  return toCommune(row, postalCode, departements);
}

/** Great-circle distance in kilometres (haversine formula, spherical Earth). */
export function distanceKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const toRad = (deg: number) => (deg * Math.PI) / 180;
  const dLat = toRad(b.lat - a.lat);
  const dLon = toRad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(toRad(a.lat)) * Math.cos(toRad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** A département's name ("75" → "Paris"), or the code when unknown. */
export function departementName(code: string): string {
  return getIndex().departements[code] ?? code;
}

/** Every département, by code order. */
export function departements(): { code: string; name: string }[] {
  return Object.entries(getIndex().departements)
    .map(([code, name]) => ({ code, name }))
    .sort((a, b) => (a.code < b.code ? -1 : 1));
}

/** A commune's centre by INSEE code (for maps of aggregated reports). */
export function communeCentre(code: string): { lat: number; lon: number } | null {
  const row = getIndex().byCode.get(code);
  return row && row[4] !== null && row[5] !== null ? { lat: row[4], lon: row[5] } : null;
}
