/** MCC → country: the country most of an MCC's networks are in, with the ISO numeric code world-atlas uses. */
import { describe, expect, it } from 'vitest';
import { countryOfMcc } from '../../src/geo/mcc.ts';

describe('countryOfMcc', () => {
  it('names the country of an MCC, shared ones by the country most networks are in', () => {
    expect(countryOfMcc('460')).toEqual({ mcc: '460', alpha2: 'CN', numeric: '156', name: 'China' });
    expect(countryOfMcc('310')?.alpha2).toBe('US'); // Guam and Puerto Rico share it
    expect(countryOfMcc('234')?.alpha2).toBe('GB'); // Jersey and Guernsey too
    expect(countryOfMcc('505')).toMatchObject({ alpha2: 'AU', numeric: '036' }); // `AU/CC/CX`, zero-padded
    expect(countryOfMcc('454')?.name).toBe('Hong Kong');
  });

  it('has no country for test, international or unassigned codes', () => {
    for (const mcc of ['001', '901', '999', '123']) expect(countryOfMcc(mcc), mcc).toBeUndefined();
  });
});
