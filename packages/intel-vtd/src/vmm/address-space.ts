import {
  IOMMU_NOTIFIER_DEVIOTLB_UNMAP,
  IOMMU_NOTIFIER_MAP,
  PCI_FUNC,
  PCI_SLOT,
  PCIDeviceCache,
  QemuError,
  type AddressSpace,
  type IOMMUMemoryRegion,
  type PCIBus,
} from '@viommu/core';
import type { VtdConfig } from './properties.js';

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/**
 * The VT-d IOMMU region of one requester id (`vtd_iommu_notify_flag_changed`): snoop control
 * refuses every notifier; MAP needs caching mode, dev-IOTLB UNMAP needs `device-iotlb` (7.2.1+).
 * All three are `error_setg_errno(ENOTSUP)`. `pci_bus_num` is 0: at cold plug no bus number has
 * been assigned by firmware.
 */
function vtdIommuRegion(name: string, devfn: number, c: VtdConfig): IOMMUMemoryRegion {
  const bdf = `${hex2(0)}.${hex2(PCI_SLOT(devfn))}.${PCI_FUNC(devfn)}`;
  const enotsup = (msg: string) => QemuError.withErrno(msg, 'EOPNOTSUPP', 'vfio-attach');
  return {
    name,
    notifyFlagChanged(flags: number): QemuError | null {
      if (c.snoopControl) return enotsup('Snoop Control with vhost or VFIO is not supported');
      if (!c.cachingMode && flags & IOMMU_NOTIFIER_MAP) return enotsup(`device ${bdf} requires caching mode`);
      if (!c.deviceIotlb && flags & IOMMU_NOTIFIER_DEVIOTLB_UNMAP) return enotsup(`device ${bdf} requires device IOTLB mode`);
      return null;
    },
  };
}

/** `vtd_find_add_as`: one `VTDAddressSpace` per (aliased bus, devfn), region `vtd-<slot>.<fn>`. */
export class VtdAddressSpaces extends PCIDeviceCache<AddressSpace> {
  constructor(readonly config: VtdConfig) {
    super();
  }

  protected create(bus: PCIBus, devfn: number): AddressSpace {
    const name = `vtd-${hex2(PCI_SLOT(devfn))}.${PCI_FUNC(devfn)}`;
    return { name: `${bus.name}:${name}`, iommu: vtdIommuRegion(name, devfn, this.config) };
  }
}
