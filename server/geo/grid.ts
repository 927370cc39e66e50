// A fixed grid over the globe for geo search that works the same on SQLite and PostgreSQL,
// without PostGIS or R*Tree: each event stores the integer cell of its public position, and a
// radius or map query becomes `cell IN (…)` over a b-tree index (cell, starts_at), followed by
// an exact distance or bounding-box check on the few rows found. Cells are 0.1° × 0.1° (about
// 11 km × 7.5 km in metropolitan France). See docs/decisions/0012-event-geo-search.md.

export const CELL_DEGREES = 0.1;
const ROWS = Math.round(180 / CELL_DEGREES);
const COLUMNS = Math.round(360 / CELL_DEGREES);
const KM_PER_DEGREE_LAT = 111.2;

export interface BBox {
  minLat: number;
  maxLat: number;
  minLon: number;
  maxLon: number;
}

const row = (lat: number) => Math.min(ROWS - 1, Math.max(0, Math.floor((lat + 90) / CELL_DEGREES)));
const column = (lon: number) => ((Math.floor((lon + 180) / CELL_DEGREES) % COLUMNS) + COLUMNS) % COLUMNS;

/** The cell of a point. */
export function cellOf(lat: number, lon: number): number {
  return row(lat) * COLUMNS + column(lon);
}

/**
 * The cells a bounding box touches, or null when there are more than `max` (zoomed-out maps
 * are better served by the time index). Boxes are clamped to ±180°: none wraps the antimeridian.
 */
export function cellsOf(box: BBox, max = 600): number[] | null {
  const r0 = row(box.minLat);
  const r1 = row(box.maxLat);
  const c0 = column(Math.max(-180, box.minLon));
  const c1 = column(Math.min(180 - 1e-9, box.maxLon));
  if (r1 < r0 || c1 < c0) return [];
  if ((r1 - r0 + 1) * (c1 - c0 + 1) > max) return null;
  const out: number[] = [];
  for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) out.push(r * COLUMNS + c);
  return out;
}

/** The box around a point that contains every point within `km` of it. */
export function boxAround(center: { lat: number; lon: number }, km: number): BBox {
  const dLat = km / KM_PER_DEGREE_LAT;
  const dLon = km / (KM_PER_DEGREE_LAT * Math.max(0.05, Math.cos((center.lat * Math.PI) / 180)));
  return {
    minLat: Math.max(-90, center.lat - dLat),
    maxLat: Math.min(90, center.lat + dLat),
    minLon: Math.max(-180, center.lon - dLon),
    maxLon: Math.min(180, center.lon + dLon),
  };
}

/** Whether a point lies in a box. */
export function inBox(box: BBox, p: { lat: number; lon: number }): boolean {
  return p.lat >= box.minLat && p.lat <= box.maxLat && p.lon >= box.minLon && p.lon <= box.maxLon;
}
