import { InputError } from '@viommu/core';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseLibvirtDomain } from '../input/libvirt.js';
import { parseQemuArgs, splitShellWords } from '../input/qemu-args.js';
import { lastValue, type VmConfig } from '../input/vm-config.js';
import { jsonLines } from './jsonl.js';

/** One VM shape of a fleet question: a name, its configuration and the host devices it passes through. */
export interface VmShape {
  readonly id: string;
  readonly vm: VmConfig;
  /** `host=` of every `-device vfio-pci`, as QEMU normalizes it (`0000:01:00.0`). */
  readonly bdfs: ReadonlySet<string>;
}

const BDF = /^(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$/;

/** The host BDFs a VM passes through (`host=` values QEMU would refuse are left out: the scenario refuses them). */
export function passthroughBdfs(vm: VmConfig): Set<string> {
  const out = new Set<string>();
  for (const d of vm.devices) {
    if (d.type !== 'vfio-pci') continue;
    const m = BDF.exec(lastValue(d.pairs, 'host') ?? '');
    if (m) out.add(`${(m[1] ?? '0000').toLowerCase()}:${m[2]!.toLowerCase()}:${m[3]!.toLowerCase()}.${m[4]}`);
  }
  return out;
}

/** A shape from its id and configuration. */
export function vmShape(id: string, vm: VmConfig): VmShape {
  return { id, vm, bdfs: passthroughBdfs(vm) };
}

function readText(path: string, what: string, where: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, where);
  }
}

/**
 * Reads VM shapes, one JSON object per line: `{"id": "db", "qemuArgs": "-machine q35 …"}`
 * (a string split as a shell would, or an array of arguments) or `{"id": "db", "libvirt":
 * "db.xml"}` (a domain XML, relative to the shapes file). Blank lines are skipped.
 * @throws InputError naming `file:line` for bad JSON, unknown or missing fields, duplicate
 *   ids and malformed configurations.
 */
export function loadShapes(path: string): VmShape[] {
  const shapes: VmShape[] = [];
  const ids = new Set<string>();
  for (const { value: j, where } of jsonLines(readText(path, 'VM shapes', path), path)) {
    if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new InputError('a VM shape is a JSON object', where);
    const o = j as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!['id', 'qemuArgs', 'libvirt'].includes(k)) throw new InputError(`unknown field '${k}' (id, qemuArgs, libvirt)`, where);
    if (typeof o.id !== 'string' || o.id === '') throw new InputError("missing 'id' (a non-empty string)", where);
    if (ids.has(o.id)) throw new InputError(`shape id '${o.id}' is used twice`, where);
    ids.add(o.id);
    if ((o.qemuArgs === undefined) === (o.libvirt === undefined)) throw new InputError("give exactly one of 'qemuArgs' and 'libvirt'", where);
    let vm: VmConfig;
    if (typeof o.libvirt === 'string') {
      const file = resolve(dirname(path), o.libvirt);
      vm = parseLibvirtDomain(readText(file, 'libvirt domain XML', where), o.libvirt);
    } else if (typeof o.qemuArgs === 'string') {
      vm = parseQemuArgs(splitShellWords(o.qemuArgs, where), where);
    } else if (Array.isArray(o.qemuArgs) && o.qemuArgs.every((a) => typeof a === 'string')) {
      vm = parseQemuArgs(o.qemuArgs as string[], where);
    } else {
      throw new InputError("'qemuArgs' is a string or an array of strings; 'libvirt' a file name", where);
    }
    shapes.push(vmShape(o.id, vm));
  }
  if (shapes.length === 0) throw new InputError('no VM shapes in the file', path);
  return shapes;
}
