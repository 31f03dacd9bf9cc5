import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { InputError, type HostModel } from '@viommu/core';
import { defaultDevices, defaultKernel } from './defaults.js';
import { dirFs, tarFs, type HostFs } from './host-fs.js';
import { logLines, noUnitsMessage, readBootLog } from './boot-log.js';
import { hostFromJson } from './json.js';
import { readHostFs, type HostReading } from './sysfs.js';
import { looksLikeSysfsText, textSysfsFs } from './text-sysfs.js';

/** What an import read and what it had to assume (one sentence each). */
export interface HostImport {
  readonly host: HostModel;
  readonly found: string[];
  readonly assumed: string[];
}

/** Boot logs a capture directory or tar may hold next to `sys/` (`dmesg.txt`, `journal.log`, …). */
const LOG_NAME = /^(?:dmesg|journal|kern|boot|messages)|\.log$/i;

/** A host id from a file name: `lab-node-3.dmesg.txt` → `lab-node-3`. */
export function hostIdFromPath(path: string): string {
  let name = basename(path.replace(/\/+$/, ''));
  for (let prev = ''; prev !== name; ) [prev, name] = [name, name.replace(/\.(?:json|txt|log|tar|tgz|gz|dmesg|dmesg-T|journal|sysfs)$/i, '')];
  const id = name.replace(/[^A-Za-z0-9._:-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return id || 'imported-host';
}

function captureLogs(fs: HostFs): { lines: string[]; where: string }[] {
  return (fs.list('/') ?? []).filter((n) => LOG_NAME.test(n)).flatMap((n) => {
    const text = fs.read(`/${n}`);
    return text === undefined ? [] : [{ lines: logLines(text), where: `${fs.where}/${n}` }];
  });
}

function fromReading(r: HostReading, id: string, where: string): HostImport {
  if (!r.host) throw new InputError(r.missing ?? 'no IOMMU unit found', where);
  return { host: { id, ...r.host, assumed: r.assumed }, found: r.found, assumed: r.assumed };
}

function importBootLog(lines: string[], id: string, where: string): HostImport {
  const facts = readBootLog(lines, where);
  if (!facts.units.length) throw new InputError(noUnitsMessage(lines), where);
  const assumed = [...facts.assumed];
  const vendor = facts.units[0]!.vendor;
  const kernel = defaultKernel(vendor, { ...(facts.kernel.release ? { release: facts.kernel.release } : {}), ...(facts.kernel.cmdline !== undefined ? { cmdline: facts.kernel.cmdline } : {}) }, assumed);
  const devices = defaultDevices(facts.units, assumed);
  return {
    host: {
      id,
      description: `imported from the boot log ${basename(where)}`,
      arch: vendor === 'arm' ? 'aarch64' : 'x86_64',
      kernel,
      units: facts.units,
      devices,
      provenance: { kind: 'dmesg', source: where, raw: facts.raw },
      assumed,
    },
    found: facts.found,
    assumed,
  };
}

/**
 * Reads a host from what a user captured on it: a kernel boot log (`dmesg`, `journalctl -k`,
 * with or without timestamps), sysfs values as text (`grep -H . /sys/…`), a capture directory
 * standing for `/` (`sys/`, `proc/`, `dev/`, optional `dmesg.txt`), a tar(.gz) of one, or a
 * host profile JSON. The host id is the file name without extension.
 * @throws InputError naming the file (and line) when nothing or only part of a unit can be read.
 */
export function importHost(path: string): HostImport {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new InputError('no such file or directory', path);
  }
  const id = hostIdFromPath(path);
  if (stat.isDirectory()) {
    const fs = dirFs(path);
    if (!fs.exists('/sys') && !fs.exists('/proc')) throw new InputError("not a capture directory (expected 'sys/' and 'proc/' copied from the host; see docs/hosts.md)", path);
    return withDescription(fromReading(readHostFs(fs, captureLogs(fs)), id, path), `imported from the capture ${basename(path)}`);
  }
  const bytes = readFileSync(path);
  if ((bytes[0] === 0x1f && bytes[1] === 0x8b) || bytes.subarray(257, 262).toString('latin1') === 'ustar') {
    const fs = tarFs(bytes, path);
    return withDescription(fromReading(readHostFs(fs, captureLogs(fs)), id, path), `imported from the capture ${basename(path)}`);
  }
  const text = bytes.toString('utf8');
  if (/^\s*\{/.test(text)) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new InputError(`not valid JSON: ${(e as Error).message}`, path);
    }
    const host = hostFromJson(json, path);
    return { host, found: [`host profile ${host.id}: ${host.units.length} unit(s), ${host.devices.length} device(s)`], assumed: [...(host.assumed ?? [])] };
  }
  const lines = logLines(text);
  if (looksLikeSysfsText(lines)) {
    return withDescription(fromReading(readHostFs(textSysfsFs(lines, path), [{ lines, where: path }]), id, path), `imported from the sysfs dump ${basename(path)}`);
  }
  return importBootLog(lines, id, path);
}

function withDescription(i: HostImport, description: string): HostImport {
  return { ...i, host: { ...i.host, description } };
}
