// Default times for forms, in Paris time.
import { instantToLocal } from '#server/events/time.ts';

/** "YYYY-MM-DDTHH:00" in Europe/Paris, `days` from now at `hour`. */
export function parisLocalIn(days: number, hour: number): string {
  const day = instantToLocal(new Date(Date.now() + days * 86_400_000), 'Europe/Paris').slice(0, 10);
  return `${day}T${String(hour).padStart(2, '0')}:00`;
}
