import {
  hex,
  kernelFeatures,
  PROFILES,
  type HostModel,
  type ProfileId,
  type SuiteBackend as Backend,
  type SuitePlacement as Placement,
  type SuiteRules,
} from '@viommu/core';
import { BACKENDS, PLACEMENTS, type SuiteScenario } from './model.js';

/** Bridges and `vfio-pci` options of a placement. */
function placementArgs(p: Placement): { devices: string[]; vfio: string } {
  switch (p) {
    case 'root-bus':
      return { devices: [], vfio: '' };
    case 'root-port':
      return { devices: ['-device', 'pcie-root-port,id=rp0'], vfio: ',bus=rp0' };
    case 'pcie-pci-bridge':
      return { devices: ['-device', 'pcie-root-port,id=rp0', '-device', 'pcie-pci-bridge,id=br0,bus=rp0'], vfio: ',bus=br0,addr=1.0' };
    case 'pci-bridge':
      return { devices: ['-device', 'pci-bridge,id=br0,chassis_nr=1'], vfio: ',bus=br0,addr=1.0' };
  }
}

/**
 * One host per distinct IOMMU signature (the registers of the unit behind the first device and
 * its driver facts beyond them, the kernel's features and interfaces, the IOMMU command line),
 * in catalogue order: hosts that would only repeat a scenario add nothing.
 */
export function representativeHosts(hosts: readonly HostModel[], rules: SuiteRules): HostModel[] {
  const seen = new Set<string>();
  const out: HostModel[] = [];
  for (const h of hosts) {
    const dev = h.devices[0];
    const unit = dev && h.units.find((u) => u.name === dev.unit);
    if (h.arch !== rules.arch || !unit || !(rules.hostVendors ?? [rules.vendor]).includes(unit.vendor)) continue;
    const sig = JSON.stringify([
      Object.entries(unit.registers).map(([k, v]) => `${k}=${hex(v)}`),
      // hosts known only by a probe line (SMMUv3 `features`, `oas`, option mask, firmware facts)
      Object.entries(unit.extra ?? {}).map(([k, v]) => `${k}=${typeof v === 'bigint' ? hex(v) : String(v)}`),
      kernelFeatures(h.kernel.release),
      h.kernel.iommufd, h.kernel.vfioCdev, h.kernel.vfioType1,
      h.kernel.cmdline.split(/\s+/).filter((w) => /^(intel_iommu|iommu|arm-smmu)/.test(w)),
    ]);
    if (seen.has(sig)) continue;
    seen.add(sig);
    out.push(h);
  }
  return out;
}

/** Filters of `viommu suite`; empty lists mean all. */
export interface SuiteFilter {
  readonly vendors?: readonly string[];
  readonly backends?: readonly string[];
  readonly profiles?: readonly string[];
}

/** Every scenario, in a stable order: vendor, property set, backend, placement, profile, host. */
export function generateScenarios(hosts: readonly HostModel[], rulesList: readonly SuiteRules[], filter: SuiteFilter = {}): SuiteScenario[] {
  const want = <T extends string>(all: readonly T[], only?: readonly string[]) => (only?.length ? all.filter((x) => only.includes(x)) : all);
  const out: SuiteScenario[] = [];
  for (const rules of rulesList) {
    if (filter.vendors?.length && !filter.vendors.includes(rules.vendor)) continue;
    const reps = representativeHosts(hosts, rules);
    for (const set of rules.sets)
      for (const backend of want<Backend>(BACKENDS, filter.backends))
        for (const placement of PLACEMENTS)
          for (const profile of want<ProfileId>(PROFILES.map((p) => p.id), filter.profiles))
            for (const host of reps) {
              const bdf = host.devices[0]!.bdf;
              const pl = placementArgs(placement);
              const argv = [
                ...set.vmArgs(profile),
                ...(backend === 'iommufd' ? ['-object', 'iommufd,id=fd0'] : []),
                ...pl.devices,
                '-device',
                `vfio-pci,host=${bdf}${pl.vfio}${backend === 'iommufd' ? ',iommufd=fd0' : ''}`,
              ];
              out.push({
                id: `${rules.vendor}/${set.name}/${backend}/${placement}/${profile}/${host.id}`,
                vendor: rules.vendor,
                props: set.name,
                backend,
                placement,
                profile,
                host,
                argv,
                expected: set.expect({ host, bdf, backend, placement, profile }),
              });
            }
  }
  return out;
}
