import { InputError, type HostModel } from '@viommu/core';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hostFromJson, importHost, listHosts } from '../hosts/index.js';
import { jsonLines } from './jsonl.js';

/**
 * The hosts of a fleet: `catalogue` (every host shipped with viommu), a JSON-lines file of
 * host profiles (one per line, `viommu hosts import` output compacted), or a directory whose
 * every file (or capture directory) is one host as `viommu hosts import` reads it.
 * @throws InputError naming the file (and line) of the first host that cannot be read, or a
 *   host id used twice.
 */
export function loadFleetHosts(spec: string): HostModel[] {
  const hosts = readHosts(spec);
  const ids = new Set<string>();
  for (const h of hosts) {
    if (ids.has(h.id)) throw new InputError(`host id '${h.id}' is used twice`, spec);
    ids.add(h.id);
  }
  if (hosts.length === 0) throw new InputError('no hosts', spec);
  return hosts;
}

function readHosts(spec: string): HostModel[] {
  if (spec === 'catalogue') return listHosts();
  let isDir: boolean;
  try {
    isDir = statSync(spec).isDirectory();
  } catch (e) {
    throw new InputError(`cannot read hosts: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, spec);
  }
  if (isDir) return readdirSync(spec).sort().map((name) => importHost(join(spec, name)).host);
  return Array.from(jsonLines(readFileSync(spec, 'utf8'), spec), ({ value, where }) => hostFromJson(value, where));
}
