// The passwords attackers try first (ASVS 6.2.4 asks for at least the top 3,000): the ranked
// list shipped with @zxcvbn-ts/language-common (MIT), plus common French ones it lacks.
import { dictionary } from '@zxcvbn-ts/language-common';

const FRENCH = [
  'motdepasse', 'motdepasse1', 'azertyuiop', 'azerty123', 'azerty1234', 'doudou123', 'soleil123', 'jetaime123',
  'marseille', 'marseille13', 'toulouse31', 'loulou123', 'chouchou', 'bonjour123', 'liberte', 'liberte1789',
  'insoumis', 'revolution', 'camarade', 'militant', 'militante', 'resistance',
];

const ranked = (dictionary as Record<string, string[]>)['passwords-common'] ?? [];

/** Lower-cased common passwords long enough to pass the length rule (shorter ones fail it anyway). */
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  [...ranked.slice(0, 20_000), ...FRENCH].map((p) => p.toLowerCase()).filter((p) => p.length >= 8),
);
