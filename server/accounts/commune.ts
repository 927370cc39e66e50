// Turns a postal code (and, when it covers several communes, the chosen one) into the commune
// stored on a member's account.
import { fail } from '../errors.ts';
import { communesForPostalCode, type Commune } from '../geo/communes.ts';

/** The commune for a postal code; throws a field error when unknown or ambiguous. */
export function resolveCommune(postalCode: string, communeCode: string | null): Commune {
  const communes = communesForPostalCode(postalCode);
  if (!communes.length) throw fail.invalid({ postalCode: 'postal_code.unknown' });
  if (communeCode) {
    const chosen = communes.find((c) => c.code === communeCode);
    if (!chosen) throw fail.invalid({ communeCode: 'commune.invalid' });
    return chosen;
  }
  if (communes.length > 1) throw fail.invalid({ communeCode: 'commune.choose' });
  return communes[0];
}
