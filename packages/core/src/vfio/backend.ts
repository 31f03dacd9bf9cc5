import type { HostIOMMUDevice } from '../host-iommu-device.js';
import type { IOMMUFDBackend } from '../iommufd-backend.js';
import type { AddressSpace } from '../memory.js';
import type { PCIDevice } from '../pci/topology.js';
import type { LiveObjectSource } from '../kernel/sim.js';

/** QEMU's VFIO IOMMU backend class names. */
export const TYPE_VFIO_IOMMU_LEGACY = 'vfio-iommu-legacy';
export const TYPE_VFIO_IOMMU_IOMMUFD = 'vfio-iommu-iommufd';

/** One `vfio_device_attach` request from `vfio_pci_realize`. */
export interface VfioAttachRequest {
  /** VFIO device name = host BDF (`0000:01:00.0`). */
  readonly name: string;
  /** `/sys/bus/pci/devices/<bdf>`. */
  readonly sysfsdev: string;
  /** The guest PCI device (for `pci_device_get_viommu_flags` / quirks). */
  readonly pdev: PCIDevice;
  /** `pci_device_iommu_address_space(pdev)`: containers are shared per address space. */
  readonly addressSpace: AddressSpace;
  /** The `-object iommufd` this device links to (`vfio-pci,iommufd=`), for the iommufd backend. */
  readonly iommufd?: IOMMUFDBackend;
}

/** A device attached by a backend (QEMU `VFIODevice` after `vfio_device_attach`). */
export interface VfioAttachedDevice {
  readonly name: string;
  /** The realized host IOMMU device, or null where the profile has none (7.2 … 9.0). */
  readonly hiod: HostIOMMUDevice | null;
}

/**
 * A VFIO IOMMU backend (`VFIOIOMMUClass`): `@viommu/legacy-vfio` and `@viommu/iommufd`
 * implement it. One instance per machine: it owns the machine's containers.
 */
export interface VfioIommuBackend extends LiveObjectSource {
  readonly typeName: typeof TYPE_VFIO_IOMMU_LEGACY | typeof TYPE_VFIO_IOMMU_IOMMUFD;
  /**
   * `vfio_device_attach`: opens, binds and attaches the device, creates and realizes its
   * hiod where the profile has one. On failure every step is undone before the throw.
   * @throws QemuError with QEMU's text as `vfio_pci_realize` receives it (without the
   *   outer `vfio <name>: ` prefix, which the caller adds).
   */
  attachDevice(req: VfioAttachRequest): VfioAttachedDevice;
  /** `vfio_device_detach`: undoes `attachDevice` completely. */
  detachDevice(dev: VfioAttachedDevice): void;
}

/** Creates `-object iommufd,id=…` backend objects (implemented by `@viommu/iommufd`). */
export interface IOMMUFDBackendFactory {
  create(id: string): IOMMUFDBackend;
}
