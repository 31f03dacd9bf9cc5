import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A file's text, or a symlink's target. */
export type TreeEntry = string | { readonly link: string };

/** Writes a tree standing for a host's `/` (sysfs attributes as files, sysfs links as symlinks). */
export function writeTree(root: string, entries: Readonly<Record<string, TreeEntry>>): void {
  for (const [path, e] of Object.entries(entries)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    if (typeof e === 'string') writeFileSync(join(root, path), e);
    else symlinkSync(e.link, join(root, path));
  }
}

/** The sysfs files of one VT-d unit as `intel_iommu_groups` prints them. */
export function vtdUnitFiles(name: string, cap: string, ecap: string, version: string, address: string): Record<string, TreeEntry> {
  const dir = `sys/devices/virtual/iommu/${name}`;
  return {
    [`${dir}/intel-iommu/cap`]: `${cap}\n`,
    [`${dir}/intel-iommu/ecap`]: `${ecap}\n`,
    [`${dir}/intel-iommu/version`]: `${version}\n`,
    [`${dir}/intel-iommu/address`]: `${address}\n`,
    [`sys/class/iommu/${name}`]: { link: `../../devices/virtual/iommu/${name}` },
  };
}

/** A PCI function behind `unit`, in `group`, bound to `driver`. */
export function pciDeviceFiles(bdf: string, unit: string, group: number, driver: string): Record<string, TreeEntry> {
  const dev = `../../../../devices/pci0000:00/${bdf}`;
  return {
    [`sys/devices/virtual/iommu/${unit}/devices/${bdf}`]: { link: dev },
    [`sys/kernel/iommu_groups/${group}/devices/${bdf}`]: { link: dev },
    [`sys/bus/pci/devices/${bdf}`]: { link: `../../../devices/pci0000:00/${bdf}` },
    [`sys/devices/pci0000:00/${bdf}/iommu_group`]: { link: `../../../kernel/iommu_groups/${group}` },
    [`sys/devices/pci0000:00/${bdf}/driver`]: { link: `../../../bus/pci/drivers/${driver}` },
  };
}
