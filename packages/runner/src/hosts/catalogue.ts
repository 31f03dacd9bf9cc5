import { InputError, parseHexU64, type HostIommuUnit, type HostModel } from '@viommu/core';
import { smmuProbeLineAssumed } from '@viommu/arm-smmuv3';
import { defaultDevices, defaultKernel } from './defaults.js';
import { kernelFactsFromLog } from './kernel-log.js';
import { REAL_HOSTS } from './real-hosts.js';

/** One unit of `shared/data/real-hosts.json`, values as printed (null: not printed). */
export interface RealUnitEntry {
  readonly name?: string | null;
  readonly reg_base?: string | null;
  readonly ver?: string | null;
  readonly cap?: string | null;
  readonly ecap?: string | null;
  readonly ias?: number | null;
  readonly oas?: number | null;
  readonly features?: string;
  readonly options?: string | null;
  readonly msi_domain_absent?: boolean;
  readonly cmdqv_companion?: string;
  readonly efr?: string;
  readonly efr2?: string | null;
}

/** One host of `shared/data/real-hosts.json`. */
export interface RealHostEntry {
  readonly id: string;
  readonly vendor: 'intel' | 'arm' | 'amd';
  readonly model: string | null;
  readonly cpu: string | null;
  readonly kernel: string | null;
  readonly units: readonly RealUnitEntry[];
  readonly source: { readonly kind?: string; readonly repo?: string; readonly path?: string; readonly url?: string; readonly commit?: string };
  readonly raw: readonly string[];
  readonly kind: 'dmesg' | 'sysfs';
  readonly notes?: string | null;
}

/** Said of every AMD host: listed with its raw values, but no driver model probes it. */
export const AMD_NOT_MODELLED = 'AMD-Vi: viommu has no AMD IOMMU driver model or vIOMMU plugin; checks on this host are not modelled';

const word = (v: string, what: string, where: string) => {
  try {
    return parseHexU64(v, what);
  } catch (e) {
    throw new InputError((e as Error).message, where);
  }
};

function vtdUnit(u: RealUnitEntry, i: number, where: string, assumed: string[]): HostIommuUnit {
  const old = /^IOMMU (\d+)$/.exec(u.name ?? '');
  const name = old ? `dmar${old[1]}` : (u.name ?? `dmar${i}`);
  if (!u.name) assumed.push(`unit ${i}: name not printed; named ${name}`);
  const registers: Record<string, bigint> = {};
  for (const r of ['cap', 'ecap'] as const) {
    const v = u[r];
    if (v) registers[r] = word(v, r, `${where} ${name}`);
    else assumed.push(`${name}: ${r} not printed; left absent, not filled (the unit cannot be probed)`);
  }
  return {
    name,
    vendor: 'intel',
    registers,
    ...(u.reg_base ? { regBase: word(u.reg_base, 'reg_base', where) } : {}),
    ...(u.ver ? { version: u.ver } : {}),
  };
}

function smmuUnit(u: RealUnitEntry, i: number, where: string, assumed: string[]): HostIommuUnit {
  const name = u.name ?? `arm-smmu-v3.${i}`;
  if (!u.features || !u.oas) throw new InputError(`${name}: no features word or oas`, where);
  const features = word(u.features, 'features', where);
  assumed.push(...smmuProbeLineAssumed(name, features, u.ias ?? null, u.oas));
  const extra: Record<string, number | bigint | boolean | string> = { features, oas: u.oas };
  if (u.ias) extra.ias = u.ias;
  if (u.options) extra.options = word(u.options, 'options', where);
  if (u.msi_domain_absent) extra.msiDomainAbsent = true;
  if (u.cmdqv_companion) extra.cmdqvCompanion = u.cmdqv_companion;
  return { name, vendor: 'arm', registers: {}, extra };
}

function amdUnit(u: RealUnitEntry, i: number, where: string, assumed: string[]): HostIommuUnit {
  const name = `ivhd${i}`;
  assumed.push(`unit ${i}: name not printed; named ${name} (the kernel's sysfs name of the i-th AMD IOMMU)`);
  const registers: Record<string, bigint> = {};
  if (u.efr) registers.efr = word(u.efr, 'efr', where);
  if (u.efr2) registers.efr2 = word(u.efr2, 'efr2', where);
  return { name, vendor: 'amd', registers };
}

/** Turns one real-hosts entry into a host model; every default it fills is listed in `assumed`. */
export function hostFromRealEntry(e: RealHostEntry): HostModel {
  const where = `catalogue host ${e.id}`;
  const assumed: string[] = [];
  const units = e.units.map((u, i) => (e.vendor === 'intel' ? vtdUnit : e.vendor === 'arm' ? smmuUnit : amdUnit)(u, i, where, assumed));
  const log = kernelFactsFromLog(e.raw);
  const kernel = defaultKernel(e.vendor, { ...(e.kernel ? { release: e.kernel } : {}), ...(log.cmdline !== undefined ? { cmdline: log.cmdline } : {}) }, assumed);
  const devices = e.vendor === 'amd' ? [] : defaultDevices(units, assumed);
  if (e.vendor === 'amd') assumed.push(AMD_NOT_MODELLED);
  const description = [e.model, e.cpu, e.notes, e.vendor === 'amd' ? AMD_NOT_MODELLED : null].filter((s): s is string => !!s).join('; ');
  const s = e.source;
  return {
    id: e.id,
    ...(description ? { description } : {}),
    arch: e.vendor === 'arm' ? 'aarch64' : 'x86_64',
    kernel,
    units,
    devices,
    provenance: { kind: e.kind, source: s.url ?? (s.repo && s.path ? `${s.repo}/${s.path}` : (s.kind ?? 'unknown')), raw: [...e.raw] },
    assumed,
  };
}

const built = new Map<string, HostModel>();

/** The model of a catalogue entry, built on first use. */
function model(e: RealHostEntry): HostModel {
  let h = built.get(e.id);
  if (!h) built.set(e.id, (h = hostFromRealEntry(e)));
  return h;
}

/** Every host that ships with viommu, in catalogue order. */
export function listHosts(): HostModel[] {
  return REAL_HOSTS.map(model);
}

/** The catalogue host with this id (only it is built). */
export function findHost(id: string): HostModel | undefined {
  const e = REAL_HOSTS.find((h) => h.id === id);
  return e && model(e);
}

/** The ids of the catalogue, in order. */
export function hostIds(): string[] {
  return REAL_HOSTS.map((h) => h.id);
}
