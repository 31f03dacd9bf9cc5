import { KernelError, QemuError } from '../errors.js';
import { pciDeviceIommuAddressSpace, pciDeviceSetIommuDevice, pciDeviceUnsetIommuDevice } from '../pci/iommu.js';
import type { PCIDevice } from '../pci/topology.js';
import type { IOMMUFDBackend } from '../iommufd-backend.js';
import type { AddressSpace } from '../memory.js';
import type { QemuProfile } from '../profile.js';
import type { Trace } from '../trace.js';
import type { KernelUapi } from '../uapi/kernel.js';
import type { VfioAttachedDevice, VfioIommuBackend } from './backend.js';

/** A realized `vfio-pci` device. */
export interface VfioPciDevice {
  readonly name: string;
  readonly pdev: PCIDevice;
  readonly attached: VfioAttachedDevice;
  readonly backend: VfioIommuBackend;
}

/** Inputs of `vfio_pci_realize`. */
export interface VfioPciRealizeRequest {
  /** Host BDF from `host=` (`0000:01:00.0`). */
  readonly host: string;
  readonly pdev: PCIDevice;
  readonly backend: VfioIommuBackend;
  readonly iommufd?: IOMMUFDBackend;
  readonly kernel: KernelUapi;
  readonly profile: QemuProfile;
  readonly addressSpaceMemory: AddressSpace;
  readonly trace: Trace;
}

/**
 * `vfio_pci_realize` (`hw/vfio/pci.c`), the part that matters for the vIOMMU: resolve the
 * host device, attach it through its backend into the vIOMMU's address space, then hand its
 * host IOMMU device to the vIOMMU (`pci_device_set_iommu_device`). Vendor-neutral: the same
 * path serves every vIOMMU plugin and both backends.
 *
 * On failure nothing stays attached (QEMU detaches when the failed device is finalized).
 * @throws QemuError with QEMU's message, e.g.
 *   `vfio 0000:01:00.0: Failed to set vIOMMU: aw-bits 48 > host aw-bits 39`.
 */
export function vfioPciRealize(req: VfioPciRealizeRequest): VfioPciDevice {
  const { host: name, pdev, backend, kernel, profile, trace } = req;
  const sysfsdev = `/sys/bus/pci/devices/${name}`;
  trace.step('vfio_pci_realize', { name, backend: backend.typeName });
  try {
    kernel.readlink(sysfsdev);
  } catch (e) {
    if (e instanceof KernelError) {
      throw QemuError.withErrno(`vfio ${sysfsdev}: no such host device`, e.errno, 'vfio-attach');
    }
    throw e;
  }
  const prefix = `vfio ${name}: `;
  const addressSpace = pciDeviceIommuAddressSpace(pdev, req.addressSpaceMemory);
  trace.step('pci_device_iommu_address_space', { address_space: addressSpace.name });
  let attached: VfioAttachedDevice;
  try {
    attached = backend.attachDevice({ name, sysfsdev, pdev, addressSpace, iommufd: req.iommufd });
  } catch (e) {
    if (e instanceof QemuError) throw e.prepend(prefix);
    throw e;
  }
  if (profile.hostIommuDevice && attached.hiod) {
    trace.step('pci_device_set_iommu_device', { name });
    try {
      pciDeviceSetIommuDevice(pdev, attached.hiod);
    } catch (e) {
      backend.detachDevice(attached);
      if (e instanceof QemuError) throw e.prepend(prefix + profile.setIommuDevicePrefix, 'set-iommu-device');
      throw e;
    }
  }
  return { name, pdev, attached, backend };
}

/** `vfio_pci_exit` + finalize: unset from the vIOMMU, then detach from the backend. */
export function vfioPciUnrealize(dev: VfioPciDevice, profile: QemuProfile): void {
  if (profile.hostIommuDevice && dev.attached.hiod) pciDeviceUnsetIommuDevice(dev.pdev);
  dev.backend.detachDevice(dev.attached);
}
