import type { ProfileId, PropertyDecl } from '@viommu/core';

/** The QOM type this plugin models (`-device __TYPE__`). */
export const TYPE_NAME = '__TYPE__';

/** Guest address widths the device accepts. */
export const AW_BITS_VALUES = [39, 48] as const;

const awBits = (dflt: number): PropertyDecl => ({ name: 'aw-bits', type: 'uint8', default: dflt, field: 'aw_bits' });

/**
 * QOM properties per profile (class defaults). Versions are data: a profile that changed a
 * default or added a property gets its own row, never an `if (version …)` in the code.
 */
export const PROPERTIES: Readonly<Record<ProfileId, readonly PropertyDecl[]>> = {
  '7.2': [awBits(39)],
  '10.0': [awBits(48)],
  '10.2': [awBits(48)],
  upstream: [awBits(48)],
};
