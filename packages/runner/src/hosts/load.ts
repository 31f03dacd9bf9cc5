import { existsSync } from 'node:fs';
import { InputError, type HostModel } from '@viommu/core';
import { findHost, listHosts } from './catalogue.js';
import { importHost } from './import.js';

/**
 * The host a check runs against: a catalogue id (`intel-001`), a host profile JSON, a boot log,
 * a sysfs dump, a capture directory or tar (`importHost`).
 * @throws InputError when `spec` is neither a catalogue id nor a readable host description.
 */
export function loadHost(spec: string): HostModel {
  const known = findHost(spec);
  if (known) return known;
  if (!existsSync(spec)) {
    const ids = listHosts().map((h) => h.id);
    throw new InputError(`not a catalogue host (${ids.length} hosts, ${ids[0]} … ${ids[ids.length - 1]}: see 'viommu hosts list') and no such file`, `host '${spec}'`);
  }
  return importHost(spec).host;
}
