import { PCI_BRIDGE_ROLES, type HostModel } from '@viommu/core';
import type { VmConfig } from '../input/vm-config.js';
import { Composition } from '../scenario/compose.js';
import { machineArch } from '../scenario/machine.js';
import { discoverPlugins, type DiscoveryNeeds } from './discovery.js';

/** `-device` types the scenario engine models without a plugin: `vfio-pci` and the PCI bridges. */
function modelledByEngine(type: string): boolean {
  return type === 'vfio-pci' || Object.hasOwn(PCI_BRIDGE_ROLES, type);
}

/**
 * The plugin packages one VM on some hosts needs: a plugin for every `-device` type the engine
 * does not model itself (vIOMMUs; an emulated endpoint may be a third-party vIOMMU too), the
 * built-ins of the machine's target (`-machine virt,iommu=smmuv3` creates an SMMU; without
 * `-machine`, q35's) and the drivers of the hosts' IOMMU vendors.
 */
export function scenarioNeeds(vm: VmConfig, hosts: readonly HostModel[]): DiscoveryNeeds {
  return {
    devices: [...new Set(vm.devices.map((d) => d.type).filter((t) => !modelledByEngine(t)))],
    arch: machineArch(vm.machine.type ?? 'q35') ?? 'x86_64',
    drivers: [...new Set(hosts.flatMap((h) => h.units.map((u) => u.vendor)))],
  };
}

/**
 * A composition for `vm` on `hosts` with only the plugin packages they need; third-party
 * packages are searched for only when built-ins do not cover them (see `discoverPlugins`).
 */
export async function compositionFor(vm: VmConfig, hosts: readonly HostModel[]): Promise<Composition> {
  return Composition.of((await discoverPlugins({ needs: scenarioNeeds(vm, hosts) })).packages);
}
