// Event fixtures for API tests: wall-clock times in Paris a number of days from now.
import { instantToLocal } from '../../server/events/time.ts';

/** "YYYY-MM-DDTHH:mm" in Europe/Paris, `days` from now at `hour`:`minute`. */
export function parisLocal(days: number, hour = 18, minute = 0): string {
  const day = instantToLocal(new Date(Date.now() + days * 86_400_000), 'Europe/Paris').slice(0, 10);
  return `${day}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}

/** A valid event in the 11th arrondissement of Paris, next week; fields override. */
export function eventInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: 'Tractage au marché',
    kind: 'leafleting',
    description: 'On distribue le **journal** du mois.',
    start: parisLocal(7, 10),
    end: parisLocal(7, 12),
    timeZone: 'Europe/Paris',
    placeName: 'Marché Popincourt',
    street: 'Boulevard Richard-Lenoir',
    postalCode: '75011',
    visibility: 'public',
    joinMode: 'free',
    ...overrides,
  };
}
