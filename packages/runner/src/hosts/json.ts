import type { ErrorObject } from 'ajv';
import { readFileSync } from 'node:fs';
import { hex, InputError, type HostIommuUnit, type HostModel, type HostPciDevice } from '@viommu/core';
import { VALIDATORS } from '../schema/validators.js';

/** The published host-profile JSON Schema (`schemas/host-profile.schema.json` in this package). */
export const HOST_PROFILE_SCHEMA: Readonly<Record<string, unknown>> = JSON.parse(
  readFileSync(new URL('../../../schemas/host-profile.schema.json', import.meta.url), 'utf8'),
);

/** A host profile as the schema describes it (after validation). */
interface ProfileJson extends Omit<HostModel, 'units'> {
  readonly units: readonly {
    readonly name: string;
    readonly vendor: string;
    readonly registers: Readonly<Record<string, string>>;
    readonly regBase?: string;
    readonly version?: string;
    readonly extra?: Readonly<Record<string, string | number | boolean>>;
  }[];
}

/** Compiled at build time (`scripts/gen-validators.mjs`). */
const validate = VALIDATORS['host-profile']!;
const WORD = /^0x[0-9a-f]{1,16}$/;

/** A host model as profile JSON: every bigint as a lowercase `0x…` string, keys in a fixed order. */
export function hostToJson(h: HostModel): unknown {
  return {
    id: h.id,
    ...(h.description !== undefined ? { description: h.description } : {}),
    arch: h.arch,
    kernel: {
      release: h.kernel.release,
      cmdline: h.kernel.cmdline,
      iommufd: h.kernel.iommufd,
      vfioCdev: h.kernel.vfioCdev,
      vfioType1: h.kernel.vfioType1,
      ...(h.kernel.params ? { params: { ...h.kernel.params } } : {}),
    },
    units: h.units.map((u) => ({
      name: u.name,
      vendor: u.vendor,
      registers: Object.fromEntries(Object.entries(u.registers).map(([k, v]) => [k, hex(v)])),
      ...(u.regBase !== undefined ? { regBase: hex(u.regBase) } : {}),
      ...(u.version !== undefined ? { version: u.version } : {}),
      ...(u.extra ? { extra: Object.fromEntries(Object.entries(u.extra).map(([k, v]) => [k, typeof v === 'bigint' ? hex(v) : v])) } : {}),
    })),
    devices: h.devices.map((d) => ({ ...d })),
    ...(h.provenance ? { provenance: { ...h.provenance, ...(h.provenance.raw ? { raw: [...h.provenance.raw] } : {}) } } : {}),
    ...(h.assumed ? { assumed: [...h.assumed] } : {}),
  };
}

function schemaMessage(e: ErrorObject): string {
  const at = e.instancePath || '(top level)';
  if (e.keyword === 'additionalProperties') return `${at}: unknown property '${(e.params as { additionalProperty: string }).additionalProperty}'`;
  if (e.keyword === 'enum') return `${at} ${e.message}: ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${at} ${e.message}`;
}

/**
 * Reads a host profile (validated against the published schema, then cross-checked: unit names
 * unique, each device behind a listed unit, BDFs unique).
 * @param where names the input in errors (a file name, a catalogue id).
 * @throws InputError naming the JSON path of the first problem.
 */
export function hostFromJson(j: unknown, where: string): HostModel {
  if (!validate(j)) throw new InputError(`not a valid host profile: ${schemaMessage(validate.errors![0]!)}`, where);
  const p = j as ProfileJson;
  const units: HostIommuUnit[] = p.units.map((u) => ({
    name: u.name,
    vendor: u.vendor,
    registers: Object.fromEntries(Object.entries(u.registers).map(([k, v]) => [k, BigInt(v)])),
    ...(u.regBase !== undefined ? { regBase: BigInt(u.regBase) } : {}),
    ...(u.version !== undefined ? { version: u.version } : {}),
    ...(u.extra ? { extra: Object.fromEntries(Object.entries(u.extra).map(([k, v]) => [k, typeof v === 'string' && WORD.test(v) ? BigInt(v) : v])) } : {}),
  }));
  const names = new Set<string>();
  units.forEach((u, i) => {
    if (names.has(u.name)) throw new InputError(`/units/${i}/name: unit '${u.name}' is listed twice`, where);
    names.add(u.name);
  });
  const bdfs = new Set<string>();
  const devices: HostPciDevice[] = p.devices.map((d, i) => {
    if (!names.has(d.unit)) throw new InputError(`/devices/${i}/unit: '${d.unit}' is not one of the units (${[...names].join(', ') || 'none'})`, where);
    if (bdfs.has(d.bdf)) throw new InputError(`/devices/${i}/bdf: '${d.bdf}' is listed twice`, where);
    bdfs.add(d.bdf);
    return { ...d };
  });
  return {
    id: p.id,
    ...(p.description !== undefined ? { description: p.description } : {}),
    arch: p.arch,
    kernel: { ...p.kernel, ...(p.kernel.params ? { params: { ...p.kernel.params } } : {}) },
    units,
    devices,
    ...(p.provenance ? { provenance: { ...p.provenance } } : {}),
    ...(p.assumed ? { assumed: [...p.assumed] } : {}),
  };
}
