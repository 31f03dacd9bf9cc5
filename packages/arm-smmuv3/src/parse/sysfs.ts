import { InputError, parseHexU64 } from '@viommu/core';

/** One SMMUv3 as sysfs shows it: no ID register, only its name and where it links. */
export interface SmmuSysfsUnit {
  /** `smmu3.0x0000000009050000`: `iommu_device_sysfs_add(…, "smmu3.%pa", &ioaddr)` in `arm_smmu_device_probe`. */
  readonly sysfsName: string;
  /** The MMIO base the name carries. */
  readonly regBase: bigint;
  /** The platform device the class device sits below (`arm-smmu-v3.0.auto`): the name its boot-log lines use. */
  readonly device?: string;
}

const NAME = /^smmu3\.0x([0-9a-fA-F]{1,16})$/;

/**
 * Reads the SMMUv3 class devices of `/sys/class/iommu`: `links` maps each entry name to its
 * symlink target (`../../devices/platform/arm-smmu-v3.0.auto/iommu/smmu3.0x…`), or to
 * undefined when the entry was copied as a directory. Other entries are ignored.
 * @throws InputError when a `smmu3.` name does not carry a 64-bit address.
 */
export function parseSmmuSysfs(links: ReadonlyMap<string, string | undefined>, where: string): SmmuSysfsUnit[] {
  const units: SmmuSysfsUnit[] = [];
  for (const [name, link] of links) {
    if (!name.startsWith('smmu3.')) continue;
    const m = NAME.exec(name);
    if (!m) throw new InputError(`'${name}' is not an SMMUv3 class device name (smmu3.0x<address>)`, `${where}: /sys/class/iommu/${name}`);
    const device = link ? /([^/]+)\/iommu\/[^/]+\/?$/.exec(link)?.[1] : undefined;
    units.push({ sysfsName: name, regBase: parseHexU64(m[1]!, name), ...(device ? { device } : {}) });
  }
  return units.sort((a, b) => (a.regBase < b.regBase ? -1 : a.regBase > b.regBase ? 1 : 0));
}
