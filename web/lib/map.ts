// MapLibre, loaded only on pages with a map (it weighs about 1 MB), on the instance's tile
// setting: raster tiles through the instance by default, or a vector style. No Google, no key.
// Without WebGL (some old phones, locked-down browsers) the map is simply not drawn: every page
// with a map also lists what it shows.
/// <reference types="vite/client" />
import type { Map as MapLibreMap, StyleSpecification } from 'maplibre-gl';
// MapLibre draws tiles in a web worker shipped as its own file: Vite copies it and gives its URL.
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';

export interface MapSettings {
  /** Raster tile template as browsers load it, or null (no background). */
  tiles: string | null;
  attribution: string;
  /** A MapLibre style URL (vector tiles), used instead of the raster tiles. */
  style: string | null;
}

export type MapLibre = typeof import('maplibre-gl');

let loading: Promise<MapLibre> | null = null;

/** The MapLibre module and its stylesheet, loaded once. */
export function loadMapLibre(): Promise<MapLibre> {
  loading ??= Promise.all([import('maplibre-gl'), import('maplibre-gl/dist/maplibre-gl.css')]).then(([m]) => {
    const lib = ((m as unknown as { default?: MapLibre }).default ?? m) as MapLibre;
    lib.setWorkerUrl(workerUrl);
    return lib;
  });
  return loading;
}

function style(settings: MapSettings): string | StyleSpecification {
  if (settings.style) return settings.style;
  return {
    version: 8,
    sources: settings.tiles
      ? { base: { type: 'raster', tiles: [settings.tiles], tileSize: 256, maxzoom: 19, attribution: settings.attribution } }
      : {},
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#e8e4dc' } },
      ...(settings.tiles ? [{ id: 'base', type: 'raster' as const, source: 'base' }] : []),
    ],
  };
}

/** A map in `container`, or null when the browser cannot draw one. */
export async function createMap(
  container: HTMLElement,
  settings: MapSettings,
  view: { center: [number, number]; zoom: number; bounds?: [[number, number], [number, number]] | null },
): Promise<{ map: MapLibreMap; lib: MapLibre } | null> {
  let lib: MapLibre;
  try {
    lib = await loadMapLibre();
  } catch {
    return null;
  }
  try {
    const map = new lib.Map({
      container,
      style: style(settings),
      center: view.center,
      zoom: view.zoom,
      ...(view.bounds ? { bounds: view.bounds, fitBoundsOptions: { padding: 40, maxZoom: 13 } } : {}),
      attributionControl: { compact: true },
      cooperativeGestures: false,
      dragRotate: false,
      pitchWithRotate: false,
    });
    map.addControl(new lib.NavigationControl({ showCompass: false }), 'top-right');
    map.touchZoomRotate.disableRotation();
    return { map, lib };
  } catch {
    return null;
  }
}
