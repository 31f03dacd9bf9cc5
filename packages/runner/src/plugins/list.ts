import 'reflect-metadata';
import {
  IOMMU_DRIVER,
  IOMMUFD_BACKEND_FACTORY,
  KERNEL_SUBSYSTEM,
  VFIO_IOMMU_IOMMUFD,
  VFIO_IOMMU_LEGACY,
  VIOMMU_PLUGIN,
  type IommuDriver,
  type ViommuPlugin,
} from '@viommu/core';
import { discoverPlugins } from './discovery.js';
import { RegistrationRecorder } from './recorder.js';

/** One package as `viommu plugins` shows it. */
export interface PluginListing {
  readonly package: string;
  readonly version: string;
  readonly builtin: boolean;
  readonly viommus: readonly { typeName: string; vendor: string; targets: string[]; profiles: readonly string[] }[];
  readonly drivers: readonly string[];
  /** Other contributions: kernel subsystems, VFIO backends, the iommufd object factory. */
  readonly provides: readonly string[];
}

const PROVIDES: readonly [symbol, string][] = [
  [KERNEL_SUBSYSTEM as symbol, 'kernel subsystem'],
  [VFIO_IOMMU_LEGACY as symbol, 'VFIO legacy backend'],
  [VFIO_IOMMU_IOMMUFD as symbol, 'VFIO iommufd backend'],
  [IOMMUFD_BACKEND_FACTORY as symbol, '-object iommufd'],
];

/** Every discovered package and what its `register(container)` contributes. */
export async function listPlugins(): Promise<{ packages: PluginListing[]; notes: readonly string[] }> {
  const found = await discoverPlugins();
  const packages = found.packages.map((p): PluginListing => {
    const rec = new RegistrationRecorder();
    p.register(rec.asContainer());
    return {
      package: p.name,
      version: p.version,
      builtin: p.builtin,
      viommus: rec.values<ViommuPlugin>(VIOMMU_PLUGIN).map(({ manifest: m }) => ({
        typeName: m.typeName,
        vendor: m.vendor,
        targets: [m.qemuBinary, ...(m.otherTargets ?? []).map((t) => t.qemuBinary)],
        profiles: m.profiles,
      })),
      drivers: rec.values<IommuDriver>(IOMMU_DRIVER).map((d) => d.vendor),
      provides: PROVIDES.filter(([t]) => rec.count(t) > 0).map(([, n]) => n),
    };
  });
  return { packages, notes: found.notes };
}

/** The listing for people. */
export function formatPluginList(list: { packages: readonly PluginListing[]; notes: readonly string[] }): string {
  const lines: string[] = [];
  for (const p of list.packages) {
    lines.push(`${p.package}@${p.version}${p.builtin ? ' (built-in)' : ''}`);
    for (const v of p.viommus) lines.push(`  vIOMMU ${v.typeName} (${v.vendor}; ${v.targets.join(', ')}): profiles ${v.profiles.join(', ')}`);
    for (const d of p.drivers) lines.push(`  host IOMMU driver: ${d}`);
    for (const x of p.provides) lines.push(`  ${x}`);
  }
  for (const n of list.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}
