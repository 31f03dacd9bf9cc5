import { InputError, parseHexU64, type HostIommuUnit, type ParsedHostUnits } from '@viommu/core';
import { describeVtdUnit } from './boot-log.js';

/** Where the kernel puts a DMAR unit's attributes (`/sys/class/iommu/dmarN` links here). */
const ATTR_PATH = /^\/sys\/(?:class|devices\/virtual)\/iommu\/(dmar\d+)\/intel-iommu\/(cap|ecap|version|address)$/;

/**
 * Reads the VT-d units from sysfs files: `/sys/class/iommu/dmarN/intel-iommu/{cap,ecap,version,address}`
 * (`intel_iommu_groups` in Linux `drivers/iommu/intel/iommu.c`: `%llx`, `%llx`, `%d:%d`, `%llx`).
 * `files` maps absolute sysfs paths (`/sys/class/iommu/dmar0/intel-iommu/cap`, or the same under
 * `/sys/devices/virtual/iommu/`) to their contents; other paths are ignored.
 * @throws InputError naming the file when a value is not what the kernel prints, or naming the
 *   unit when `cap` or `ecap` is missing (an incomplete copy is never a complete unit).
 */
export function parseVtdSysfs(files: ReadonlyMap<string, string>, where: string): ParsedHostUnits {
  const attrs = new Map<string, Map<string, { value: string; path: string }>>();
  for (const [path, content] of files) {
    const m = ATTR_PATH.exec(path);
    if (!m) continue;
    const unit = attrs.get(m[1]!) ?? new Map<string, { value: string; path: string }>();
    attrs.set(m[1]!, unit);
    const value = content.trim();
    const prev = unit.get(m[2]!);
    if (prev && prev.value !== value) throw new InputError(`${m[1]} ${m[2]} is '${prev.value}' in ${prev.path} but '${value}' in ${path}`, where);
    unit.set(m[2]!, { value, path });
  }
  const units: HostIommuUnit[] = [];
  const found: string[] = [];
  const assumed: string[] = [];
  const raw: string[] = [];
  const names = [...attrs.keys()].sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
  for (const name of names) {
    const a = attrs.get(name)!;
    const reg = (attr: string) => {
      const f = a.get(attr);
      if (!f) throw new InputError(`${name}: no ${attr} (expected /sys/class/iommu/${name}/intel-iommu/${attr}; the copy is incomplete)`, where);
      try {
        return parseHexU64(f.value, attr);
      } catch (e) {
        throw new InputError((e as Error).message, `${where}: ${f.path}`);
      }
    };
    const registers = { cap: reg('cap'), ecap: reg('ecap') };
    const address = a.get('address');
    const version = a.get('version');
    if (version && !/^\d+:\d+$/.test(version.value)) throw new InputError(`version '${version.value}' is not '<major>:<minor>'`, `${where}: ${version.path}`);
    const unit: HostIommuUnit = {
      name,
      vendor: 'intel',
      registers,
      ...(address ? { regBase: reg('address') } : {}),
      ...(version ? { version: version.value } : {}),
    };
    units.push(unit);
    for (const f of a.values()) raw.push(`${f.path}: ${f.value}`);
    found.push(`${a.get('cap')!.path.replace(/\/cap$/, '/')}: ${describeVtdUnit(unit)}`);
    if (!address) assumed.push(`${name}: MMIO base unknown (no intel-iommu/address)`);
  }
  return { units, found, assumed, raw };
}
