import { DEFAULT_PROFILE, findProfile, InputError, PROFILES, type QemuProfile } from '@viommu/core';
import type { OptionSpec } from './command.js';

/** `--qemu 7.2|10.0|10.2|upstream`. */
export const QEMU_OPTION: OptionSpec = {
  name: 'qemu',
  type: 'string',
  value: PROFILES.map((p) => p.id).join('|'),
  summary: `QEMU version profile (default: the newest, ${DEFAULT_PROFILE.id})`,
  choices: PROFILES.map((p) => p.id),
};

/** The profile `--qemu` names, or the newest. */
export function profileOf(id: string | undefined): QemuProfile {
  if (id === undefined) return DEFAULT_PROFILE;
  const p = findProfile(id);
  if (!p) throw new InputError(`unknown QEMU profile '${id}' (profiles: ${PROFILES.map((x) => x.id).join(', ')})`, '--qemu');
  return p;
}
