import { existsSync } from 'node:fs';
import { InputError, type HostModel } from '@viommu/core';
import { findHost, hostIds } from './catalogue.js';

/**
 * The host a check runs against: a catalogue id (`intel-001`; only that host is built), a host
 * profile JSON, a boot log, a sysfs dump, a capture directory or tar (`importHost`, whose
 * parsers load only for a file).
 * @throws InputError when `spec` is neither a catalogue id nor a readable host description.
 */
export async function loadHost(spec: string): Promise<HostModel> {
  const known = findHost(spec);
  if (known) return known;
  if (!existsSync(spec)) {
    const ids = hostIds();
    throw new InputError(`not a catalogue host (${ids.length} hosts, ${ids[0]} … ${ids[ids.length - 1]}: see 'viommu hosts list') and no such file`, `host '${spec}'`);
  }
  const { importHost } = await import('./import.js');
  return importHost(spec).host;
}
