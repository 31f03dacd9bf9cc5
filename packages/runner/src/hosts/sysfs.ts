import { hex, InputError, parseHexU64, type HostIommuUnit, type HostModel, type HostPciDevice } from '@viommu/core';
import { parseVtdSysfs } from '@viommu/intel-vtd';
import { parseSmmuSysfs } from '@viommu/arm-smmuv3';
import { AMD_NOT_MODELLED } from './catalogue.js';
import { defaultDevices, defaultKernel } from './defaults.js';
import type { HostFs } from './host-fs.js';
import { mergeUnits, noUnitsMessage, readBootLog } from './boot-log.js';
import { pciExtCaps } from './pci-config.js';

/** What reading a capture gave: a host (no id yet) and the import report. */
export interface HostReading {
  readonly host: Omit<HostModel, 'id'> | null;
  readonly found: string[];
  readonly assumed: string[];
  /** Why `host` is null. */
  readonly missing?: string;
}

const CLASS = '/sys/class/iommu';
/** Where `/sys/class/iommu/dmarN` links to (dumps often print these paths). */
const VIRTUAL = '/sys/devices/virtual/iommu';
const VTD_ATTRS = ['cap', 'ecap', 'version', 'address'];
const BDF = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$/;
const base = (link: string) => link.replace(/\/+$/, '').split('/').pop()!;

/**
 * Reads a host from `/sys` (`class/iommu`, `kernel/iommu_groups`, `bus/pci/devices`), `/proc`
 * (`cmdline`, `sys/kernel/osrelease`), `/dev` (`iommu`, `vfio/`) and the boot logs given
 * (needed for SMMUv3 units: their driver exposes no ID register in sysfs).
 * @throws InputError when a unit's files are incomplete or disagree with the log.
 */
export function readHostFs(fs: HostFs, logs: readonly { lines: readonly string[]; where: string }[]): HostReading {
  const found: string[] = [];
  const assumed: string[] = [];
  const raw: string[] = [];
  const names = [...new Set([...(fs.list(CLASS) ?? []), ...(fs.list(VIRTUAL) ?? [])])].filter((n) => !n.startsWith('.')).sort();
  const files = new Map<string, string>();
  for (const n of names.filter((n) => /^dmar\d+$/.test(n))) {
    for (const a of VTD_ATTRS) {
      const p = `${CLASS}/${n}/intel-iommu/${a}`;
      const v = fs.read(p) ?? fs.read(`${VIRTUAL}/${n}/intel-iommu/${a}`);
      if (v !== undefined) files.set(p, v);
    }
  }
  const vtd = parseVtdSysfs(files, fs.where);
  let units: HostIommuUnit[] = [...vtd.units];
  found.push(...vtd.found);
  assumed.push(...vtd.assumed);
  raw.push(...vtd.raw);
  for (const n of names.filter((n) => /^ivhd\d+$/.test(n))) {
    // amd_iommu_show_features (drivers/iommu/amd/init.c): `%llx` (EFR) in older kernels, then
    // `%llx:%llx` as features2:features, later as efr:efr2; a pair is kept as printed.
    const p = `${CLASS}/${n}/amd-iommu/features`;
    const text = (fs.read(p) ?? '').trim();
    const m = /^([0-9a-f]+)(:[0-9a-f]+)?$/.exec(text);
    if (!m) throw new InputError(`${n}: no readable amd-iommu/features ('<hex>' or '<hex>:<hex>')`, `${fs.where}: ${p}`);
    units.push({ name: n, vendor: 'amd', registers: m[2] ? {} : { efr: parseHexU64(m[1]!, 'efr') }, ...(m[2] ? { extra: { features: text } } : {}) });
    found.push(`${p}: AMD-Vi unit ${n}: features ${text}`);
    if (m[2]) assumed.push(`${n}: features '${text}' kept as printed (which word is EFR depends on the kernel release)`);
    if (!assumed.includes(AMD_NOT_MODELLED)) assumed.push(AMD_NOT_MODELLED);
  }

  let release: string | undefined;
  let cmdline: string | undefined;
  for (const log of logs) {
    const facts = readBootLog(log.lines, log.where);
    units = mergeUnits(units, facts.units, log.where);
    found.push(...facts.found.map((f) => `${log.where} ${f}`));
    assumed.push(...facts.assumed);
    raw.push(...facts.raw);
    release ??= facts.kernel.release;
    cmdline ??= facts.kernel.cmdline;
  }

  /** sysfs unit name → model unit name (SMMUv3 units are known by their log name). */
  const unitOf = new Map<string, string>(names.filter((n) => units.some((u) => u.name === n)).map((n) => [n, n]));
  for (const smmu of parseSmmuSysfs(new Map(names.map((n) => [n, fs.readlink(`${CLASS}/${n}`)])), fs.where)) {
    const i = units.findIndex((u) => u.name === smmu.device);
    if (i < 0) {
      throw new InputError(
        `${smmu.sysfsName}: an SMMUv3 shows no ID register in sysfs; add the boot log with its 'arm-smmu-v3 ${smmu.device ?? '…'}: … (features 0x…)' line (dmesg > dmesg.txt)`,
        fs.where,
      );
    }
    units[i] = { ...units[i]!, regBase: smmu.regBase };
    unitOf.set(smmu.sysfsName, smmu.device!);
    found.push(`${CLASS}/${smmu.sysfsName}: SMMUv3 ${smmu.device} at ${hex(smmu.regBase)}`);
  }
  if (!units.length) {
    const why = names.length ? `${CLASS} lists ${names.join(', ')} but none viommu can read` : `no IOMMU: ${CLASS} is empty or absent`;
    return { host: null, found, assumed, missing: logs.length ? `${why}; and the boot log has ${noUnitsMessage(logs.flatMap((l) => l.lines))}` : why };
  }

  const osrelease = fs.read('/proc/sys/kernel/osrelease')?.trim();
  if (osrelease) found.push(`/proc/sys/kernel/osrelease: kernel release ${osrelease}`);
  const proc = fs.read('/proc/cmdline')?.trim();
  if (proc !== undefined) found.push(`/proc/cmdline: '${proc}'`);
  const vendor = units.find((u) => u.vendor !== 'amd')?.vendor ?? units[0]!.vendor;
  const devNodes = fs.exists('/dev')
    ? { iommufd: fs.exists('/dev/iommu'), vfioCdev: fs.exists('/dev/vfio/devices'), vfioType1: fs.exists('/dev/vfio/vfio') }
    : undefined;
  if (devNodes) found.push(`/dev: iommu ${devNodes.iommufd ? 'present' : 'absent'}, vfio/devices ${devNodes.vfioCdev ? 'present' : 'absent'}, vfio/vfio ${devNodes.vfioType1 ? 'present' : 'absent'}`);
  const params: Record<string, string> = {};
  for (const mod of ['vfio_iommu_type1', 'iommufd']) {
    const v = fs.read(`/sys/module/${mod}/parameters/allow_unsafe_interrupts`)?.trim();
    if (v) params[`${mod}.allow_unsafe_interrupts`] = v;
  }
  const kernel = defaultKernel(
    vendor,
    {
      ...((osrelease ?? release) ? { release: osrelease ?? release } : {}),
      ...((proc ?? cmdline) !== undefined ? { cmdline: proc ?? cmdline } : {}),
      ...(devNodes ? { nodes: devNodes } : {}),
      ...(Object.keys(params).length ? { params } : {}),
    },
    assumed,
  );

  let devices = readDevices(fs, unitOf, found, assumed);
  if (!devices.length) devices = defaultDevices(units.filter((u) => u.vendor !== 'amd'), assumed);
  return {
    host: { arch: vendor === 'arm' ? 'aarch64' : 'x86_64', kernel, units, devices, provenance: { kind: logs.length ? 'sysfs+dmesg' : 'sysfs', source: fs.where, raw } },
    found,
    assumed,
  };
}

/** PCI functions behind each unit (`/sys/class/iommu/<unit>/devices/<bdf>`): group, driver, ids, PASID and ATS. */
function readDevices(fs: HostFs, unitOf: ReadonlyMap<string, string>, found: string[], assumed: string[]): HostPciDevice[] {
  const devices: HostPciDevice[] = [];
  const unread: string[] = [];
  for (const [sysName, unit] of unitOf) {
    for (const bdf of (fs.list(`${CLASS}/${sysName}/devices`) ?? []).filter((d) => BDF.test(d))) {
      const dev = `/sys/bus/pci/devices/${bdf}`;
      const groupLink = fs.readlink(`${dev}/iommu_group`);
      let group = groupLink ? Number(base(groupLink)) : NaN;
      if (Number.isNaN(group)) {
        group = Number((fs.list('/sys/kernel/iommu_groups') ?? []).find((g) => fs.list(`/sys/kernel/iommu_groups/${g}/devices`)?.includes(bdf)));
      }
      if (Number.isNaN(group)) throw new InputError(`${bdf} is behind ${sysName} but in no /sys/kernel/iommu_groups/*/devices (the copy is incomplete)`, fs.where);
      const driverLink = fs.readlink(`${dev}/driver`);
      const driver = driverLink ? base(driverLink) : '';
      const vid = fs.read(`${dev}/vendor`)?.trim().replace(/^0x/, '');
      const did = fs.read(`${dev}/device`)?.trim().replace(/^0x/, '');
      const config = fs.readBytes(`${dev}/config`);
      const caps = config && pciExtCaps(config);
      if (!caps) unread.push(bdf);
      devices.push({
        bdf,
        unit,
        group,
        driver,
        ...(caps?.pasidLog2 ? { pasidLog2: caps.pasidLog2 } : {}),
        ...(caps?.pasidExec ? { pasidExec: true } : {}),
        ...(caps?.pasidPriv ? { pasidPriv: true } : {}),
        ...(caps?.ats ? { ats: true } : {}),
        ...(vid && did ? { id: `${vid}:${did}` } : {}),
      });
      const capText = caps ? `, PASID ${caps.pasidLog2 ? `${caps.pasidLog2} bits${caps.pasidExec ? ' exec' : ''}${caps.pasidPriv ? ' priv' : ''}` : 'none'}, ATS ${caps.ats ? 'yes' : 'no'}` : '';
      found.push(`${CLASS}/${sysName}/devices/${bdf}: PCI ${bdf}${vid && did ? ` [${vid}:${did}]` : ''} behind ${unit}, IOMMU group ${group}, driver ${driver || '(none)'}${capText}`);
    }
  }
  if (unread.length) assumed.push(`PCI PASID and ATS capabilities of ${unread.sort().join(', ')} not read (config space beyond 256 bytes needs root); assumed none`);
  return devices.sort((a, b) => (a.bdf < b.bdf ? -1 : a.bdf > b.bdf ? 1 : 0));
}
