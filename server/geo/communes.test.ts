import { describe, it, expect } from 'vitest';
import { communesForPostalCode, distanceKm, findCommune, isPostalCodeFormat } from './communes.ts';

describe('isPostalCodeFormat', () => {
  it('accepts exactly five digits', () => {
    expect(isPostalCodeFormat('75011')).toBe(true);
    expect(isPostalCodeFormat('01400')).toBe(true);
    expect(isPostalCodeFormat('7501')).toBe(false);
    expect(isPostalCodeFormat('750111')).toBe(false);
    expect(isPostalCodeFormat('abcde')).toBe(false);
    expect(isPostalCodeFormat(' 75011')).toBe(false);
    expect(isPostalCodeFormat('')).toBe(false);
  });
});

describe('communesForPostalCode', () => {
  it('maps a Paris postal code to its arrondissement, not to Paris as a whole', () => {
    const communes = communesForPostalCode('75011');
    expect(communes).toHaveLength(1);
    expect(communes[0]).toMatchObject({
      code: '75111',
      name: 'Paris 11e Arrondissement',
      postalCode: '75011',
      departementCode: '75',
      departementName: 'Paris',
      parentCode: '75056',
    });
  });

  it('lists every commune of a shared postal code once, sorted by name', () => {
    const communes = communesForPostalCode('01400');
    expect(communes.length).toBeGreaterThan(5);
    const chatillon = communes.find((c) => c.name === 'Châtillon-sur-Chalaronne');
    expect(chatillon).toMatchObject({ code: '01093', departementCode: '01', departementName: 'Ain', parentCode: null });
    const codes = communes.map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
    const names = communes.map((c) => c.name);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, 'fr')));
    expect(communes.every((c) => c.postalCode === '01400')).toBe(true);
  });

  it('covers overseas départements', () => {
    const communes = communesForPostalCode('97110');
    expect(communes.map((c) => c.name)).toContain('Pointe-à-Pitre');
    expect(communes[0]).toMatchObject({ departementCode: '971', departementName: 'Guadeloupe' });
    expect(communes[0].lat).toBeCloseTo(16.24, 1);
  });

  it('returns [] for unknown or malformed postal codes', () => {
    expect(communesForPostalCode('99999')).toEqual([]);
    expect(communesForPostalCode('abcde')).toEqual([]);
    expect(communesForPostalCode('')).toEqual([]);
  });

  it('hands out copies that cannot corrupt later lookups', () => {
    const [first] = communesForPostalCode('75011');
    first.name = 'changed';
    expect(communesForPostalCode('75011')[0].name).toBe('Paris 11e Arrondissement');
  });
});

describe('findCommune', () => {
  it('finds a commune served by the postal code', () => {
    expect(findCommune('01400', '01093')?.name).toBe('Châtillon-sur-Chalaronne');
    expect(findCommune('69002', '69382')).toMatchObject({ name: 'Lyon 2e Arrondissement', parentCode: '69123' });
  });

  it('refuses a commune that the postal code does not serve', () => {
    // Bourg-en-Bresse exists, but not under 01400.
    expect(findCommune('01400', '01053')).toBeUndefined();
    // Paris as a whole is not selectable: its postal codes belong to the arrondissements.
    expect(findCommune('75011', '75056')).toBeUndefined();
    expect(findCommune('75011', '75112')).toBeUndefined();
    expect(findCommune('75011', '00000')).toBeUndefined();
    expect(findCommune('abcde', '75111')).toBeUndefined();
  });
});

describe('coordinates and distanceKm', () => {
  it('places central Paris near (48.86, 2.35)', () => {
    const [paris] = communesForPostalCode('75004');
    expect(paris.lat).not.toBeNull();
    expect(paris.lat).toBeCloseTo(48.86, 1);
    expect(paris.lon).toBeCloseTo(2.35, 1);
  });

  it('measures Paris–Lyon at about 390 km', () => {
    expect(distanceKm({ lat: 48.8566, lon: 2.3522 }, { lat: 45.764, lon: 4.8357 })).toBeCloseTo(392, -1);
    const [paris] = communesForPostalCode('75004');
    const [lyon] = communesForPostalCode('69002');
    const km = distanceKm({ lat: paris.lat!, lon: paris.lon! }, { lat: lyon.lat!, lon: lyon.lon! });
    expect(km).toBeGreaterThan(380);
    expect(km).toBeLessThan(400);
  });

  it('is zero for the same point and symmetric', () => {
    const a = { lat: 43.2965, lon: 5.3698 };
    const b = { lat: 16.2411, lon: -61.5331 };
    expect(distanceKm(a, a)).toBe(0);
    expect(distanceKm(a, b)).toBeCloseTo(distanceKm(b, a), 9);
  });
});
