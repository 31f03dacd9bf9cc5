import {
  IOMMU_NOTIFIER_DEVIOTLB_UNMAP,
  IOMMU_NOTIFIER_MAP,
  PCI_FUNC,
  PCI_SLOT,
  PCIDeviceCache,
  QemuError,
  type AddressSpace,
  type IOMMUMemoryRegion,
  type MachineContext,
  type PCIBus,
} from '@viommu/core';
import { TYPE_SMMUV3_IOMMU_MEMORY_REGION } from './properties.js';

/** `SMMUDevice`: one requester id's emulated translation. */
export interface SMMUDevice {
  readonly bus: PCIBus;
  readonly devfn: number;
  readonly as: AddressSpace;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/**
 * The SMMUv3 IOMMU region (`smmuv3_notify_flag_changed`): dev-IOTLB and MAP notifiers are
 * refused, so VFIO cannot shadow the guest's tables. `pci_bus_num` is 0 for every bus here:
 * at cold plug no bus number has been assigned by firmware yet (pxb-pcie's `bus_nr` is not
 * modelled).
 */
function smmuIommuRegion(name: string, devfn: number): IOMMUMemoryRegion {
  return {
    name,
    notifyFlagChanged(flags: number): QemuError | null {
      if (flags & IOMMU_NOTIFIER_DEVIOTLB_UNMAP) return new QemuError('SMMUv3 does not support dev-iotlb yet', 'vfio-attach');
      if (flags & IOMMU_NOTIFIER_MAP) {
        return new QemuError(
          `device ${hex2(0)}.${hex2(PCI_SLOT(devfn))}.${PCI_FUNC(devfn)} requires iommu MAP notifier which is not currently supported`,
          'vfio-attach',
        );
      }
      return null;
    },
  };
}

/** QEMU's function-local `static unsigned int index`: one counter per process, i.e. per machine. */
const regionIndex = new WeakMap<MachineContext, { next: number }>();

/**
 * `smmu_find_add_as` (7.2) / `smmu_init_sdev` (master): the per-(bus, devfn) state and its
 * address space `smmuv3-iommu-memory-region-<devfn>-<index>`, created on first use.
 */
export class SMMUDeviceTable extends PCIDeviceCache<SMMUDevice> {
  constructor(readonly machine: MachineContext) {
    super();
  }

  protected create(bus: PCIBus, devfn: number): SMMUDevice {
    let counter = regionIndex.get(this.machine);
    if (!counter) regionIndex.set(this.machine, (counter = { next: 0 }));
    const name = `${TYPE_SMMUV3_IOMMU_MEMORY_REGION}-${devfn}-${counter.next++}`;
    return { bus, devfn, as: { name, iommu: smmuIommuRegion(name, devfn) } };
  }
}

/** `smmuv3-accel-as-sysmem`: the one address space every accel vSMMU of a machine gives its vfio-pci devices. */
const accelSysmem = new WeakMap<MachineContext, AddressSpace>();

/** The shared system-memory alias address space (no IOMMU region: VFIO maps all guest RAM into the S2). */
export function smmuv3AccelSysmemAs(machine: MachineContext): AddressSpace {
  let as = accelSysmem.get(machine);
  if (!as) accelSysmem.set(machine, (as = { name: 'smmuv3-accel-as-sysmem', iommu: null }));
  return as;
}
