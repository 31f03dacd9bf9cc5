import {
  KernelError,
  QemuError,
  type AddressSpace,
  type IovaRange,
  type KernelUapi,
  type PCIDevice,
  type VfioAttachedDevice,
} from '@viommu/core';
import type { IOMMUFDBackendObject } from './iommufd-backend.js';
import type { HostIOMMUDeviceIOMMUFDVFIO } from './hiod.js';

/** `VFIOIOASHwpt`: a HWPT VFIO allocated in a container, with the devices attached to it. */
export interface VFIOIOASHwpt {
  readonly hwptId: number;
  readonly hwptFlags: number;
  readonly devices: Set<VFIOIOMMUFDDevice>;
}

/** `VFIOIOMMUFDContainer`: one IOAS of one iommufd backend, per QEMU `AddressSpace`. */
export interface VFIOIOMMUFDContainer {
  readonly be: IOMMUFDBackendObject;
  readonly ioasId: number;
  readonly space: AddressSpace;
  /** Most recently created first (`QLIST_INSERT_HEAD`). */
  readonly hwptList: VFIOIOASHwpt[];
  readonly devices: Set<VFIOIOMMUFDDevice>;
  iovaRanges: IovaRange[];
  pgsizes: bigint;
  dirtyPagesSupported: boolean;
  /** master: read-only sections are not mapped into a nesting parent (host quirk). */
  bypassRo: boolean;
}

/** `VFIODevice` as the iommufd backend sees it. */
export interface VFIOIOMMUFDDevice extends VfioAttachedDevice {
  readonly name: string;
  readonly pdev: PCIDevice;
  readonly be: IOMMUFDBackendObject;
  fd: number;
  devid: number;
  hwpt: VFIOIOASHwpt | null;
  container: VFIOIOMMUFDContainer | null;
  hiod: HostIOMMUDeviceIOMMUFDVFIO | null;
  iommuDirtyTracking: boolean;
}

/**
 * `iommufd_cdev_attach_ioas_hwpt`: `VFIO_DEVICE_ATTACH_IOMMUFD_PT` of the RID to an IOAS or HWPT.
 * @throws QemuError `[iommufd=<fd>] error attach <name> (<devfd>) to id=<id>: <strerror>`.
 */
export function iommufdCdevAttachIoasHwpt(kernel: KernelUapi, vdev: VFIOIOMMUFDDevice, id: number): void {
  try {
    kernel.ioctl(vdev.fd, 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', { flags: 0, pt_id: id });
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    throw QemuError.withErrno(`[iommufd=${vdev.be.fd}] error attach ${vdev.name} (${vdev.fd}) to id=${id}`, e.errno, 'vfio-attach');
  }
}

/**
 * `iommufd_cdev_detach_ioas_hwpt`.
 * @throws QemuError `detach <name> failed: <strerror>`.
 */
export function iommufdCdevDetachIoasHwpt(kernel: KernelUapi, vdev: VFIOIOMMUFDDevice): void {
  try {
    kernel.ioctl(vdev.fd, 'VFIO_DEVICE_DETACH_IOMMUFD_PT', { flags: 0 });
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    throw QemuError.withErrno(`detach ${vdev.name} failed`, e.errno, 'vfio-attach');
  }
}
