import type { HostIOMMUDevice } from '../host-iommu-device.js';
import type { AddressSpace } from '../memory.js';
import type { IommuHwInfoData } from '../uapi/iommufd.js';
import type { PCIBus } from './topology.js';

/**
 * QEMU's `PCIIOMMUOps` (`include/hw/pci/pci.h`): what a vIOMMU installs on the PCI bus it
 * translates (`pci_setup_iommu`). In C each callback also takes the vIOMMU's `opaque`;
 * here the ops object is bound to its vIOMMU instance instead.
 *
 * Failing callbacks throw a `QemuError` carrying QEMU's message (C: `false` + `errp`).
 */
export interface PCIIOMMUOps {
  /**
   * **Mandatory.** `get_address_space(bus, opaque, devfn)`: the DMA address space of the
   * (aliased) requester (bus, devfn). Creates the vIOMMU's per-device state.
   */
  getAddressSpace(bus: PCIBus, devfn: number): AddressSpace;

  /**
   * Optional (master). `supports_address_space`: a pre-check at PCI registration; a refusal
   * fails the device before any VFIO code runs. Absent: every device is accepted.
   */
  supportsAddressSpace?(bus: PCIBus, devfn: number): void;

  /**
   * Optional (9.1+). `set_iommu_device(bus, opaque, devfn, hiod, errp)`: attach a host
   * IOMMU device; `bus`/`devfn` are the device's **own**, not the alias. Throwing refuses
   * the device (VFIO prints `Failed to set vIOMMU: <message>`). Absent: accepted silently.
   */
  setIommuDevice?(bus: PCIBus, devfn: number, hiod: HostIOMMUDevice): void;

  /** Optional (9.1+). `unset_iommu_device`: forget the device; never fails. */
  unsetIommuDevice?(bus: PCIBus, devfn: number): void;

  /**
   * Optional (master). `get_viommu_flags(opaque)`: the vIOMMU's `ViommuFlag` word.
   * Takes nothing: flags are a function of the vIOMMU's own properties, never of the host
   * (build it with `viommuFlagsOp`). Absent: `pci_device_get_viommu_flags` returns 0.
   */
  getViommuFlags?(): bigint;

  /**
   * Optional (master). `get_host_iommu_quirks(type, caps, size)`: converts vendor
   * `IOMMU_GET_HW_INFO` data into `HostIommuQuirk` bits. Absent: 0.
   */
  getHostIommuQuirks?(type: number, caps: IommuHwInfoData | null, size: number): bigint;

  /** Optional (master, SMMUv3 accel). `get_msi_direct_gpa`: guest PA of the MSI doorbell. */
  getMsiDirectGpa?(bus: PCIBus, devfn: number): bigint;

  /** Optional (10.2+). `get_iotlb_info`: device-IOTLB address width and min page size. */
  getIotlbInfo?(): { addrWidth: number; minPageSize: bigint };
}

/**
 * Builds a `get_viommu_flags` callback from a pure function of the vIOMMU's properties.
 * The properties are frozen here, and the function has no other input, so the flags cannot
 * depend on the host (QEMU's rule: the callback has no bus/devfn and sees no hiod).
 */
export function viommuFlagsOp<P extends object>(flagsOf: (props: Readonly<P>) => bigint, props: P): () => bigint {
  const frozen = Object.freeze({ ...props });
  return () => flagsOf(frozen);
}
