import {
  HOST_IOMMU_DEVICE_CAP_AW_BITS,
  HOST_IOMMU_DEVICE_CAP_IOMMU_TYPE,
  TYPE_HOST_IOMMU_DEVICE,
  TYPE_HOST_IOMMU_DEVICE_IOMMUFD,
  TYPE_HOST_IOMMU_DEVICE_IOMMUFD_VFIO,
  HostIOMMUDevice,
  awBitsFromIovaRanges,
  type HostIOMMUDeviceIOMMUFD,
  type IOMMUFDBackend,
  type IovaRange,
  type KernelUapi,
  type QemuProfile,
} from '@viommu/core';
import { iommufdCdevAttachIoasHwpt, iommufdCdevDetachIoasHwpt, type VFIOIOMMUFDDevice } from './device.js';

/** `sizeof(VendorCaps)` (10.1+: the union of the VT-d and SMMUv3 structs) and 9.1–10.0's VT-d-only union. */
const VENDOR_CAPS_SIZE = 40;
const VTD_CAPS_SIZE = 24;

/**
 * `TYPE_HOST_IOMMU_DEVICE_IOMMUFD_VFIO` (`hw/vfio/iommufd.c`): the host IOMMU device of a
 * VFIO cdev device. `realize` (`hiod_iommufd_vfio_realize`) reads `IOMMU_GET_HW_INFO` into
 * `caps`; what it keeps follows the profile (`vendor_caps` 10.1+, `max_pasid_log2` master).
 * IOVA ranges, page sizes and AW bits are the container's.
 */
export class HostIOMMUDeviceIOMMUFDVFIO extends HostIOMMUDevice implements HostIOMMUDeviceIOMMUFD {
  readonly typeName = TYPE_HOST_IOMMU_DEVICE_IOMMUFD_VFIO;
  readonly typeAncestors = [TYPE_HOST_IOMMU_DEVICE_IOMMUFD_VFIO, TYPE_HOST_IOMMU_DEVICE_IOMMUFD, TYPE_HOST_IOMMU_DEVICE] as const;
  iommufd: IOMMUFDBackend;
  devid = 0;
  hwptId = 0;

  constructor(
    private readonly agent: VFIOIOMMUFDDevice,
    private readonly kernel: KernelUapi,
    private readonly profile: QemuProfile,
  ) {
    super();
    this.iommufd = agent.be;
  }

  /** @throws QemuError `Failed to get hardware info: <strerror>`. */
  realize(): void {
    const vdev = this.agent;
    const info = vdev.be.getDeviceInfo(vdev.devid, this.profile.hiodVendorCaps ? VENDOR_CAPS_SIZE : VTD_CAPS_SIZE);
    this.name = vdev.name;
    this.caps = {
      type: info.out_data_type,
      hw_caps: info.out_capabilities,
      max_pasid_log2: this.profile.hiodMaxPasidLog2 ? info.out_max_pasid_log2 : 0,
      vendor_caps: this.profile.hiodVendorCaps ? info.data : null,
    };
    this.devid = vdev.devid;
    this.hwptId = vdev.hwpt?.hwptId ?? 0;
  }

  /** `hiod_iommufd_get_cap`. */
  readonly getCap = (cap: number): number => {
    switch (cap) {
      case HOST_IOMMU_DEVICE_CAP_IOMMU_TYPE:
        return this.caps.type;
      case HOST_IOMMU_DEVICE_CAP_AW_BITS:
        return awBitsFromIovaRanges(this.getIovaRanges());
      default:
        throw this.unsupportedCap(cap);
    }
  };

  getIovaRanges(): IovaRange[] {
    return [...(this.agent.container?.iovaRanges ?? [])];
  }

  getPageSizeMask(): bigint {
    return this.agent.container?.pgsizes ?? 0n;
  }

  /** `host_iommu_device_iommufd_vfio_attach_hwpt`; PASID attach is not modelled (RID only). */
  attachHwpt(hwptId: number): void {
    iommufdCdevAttachIoasHwpt(this.kernel, this.agent, hwptId);
  }

  /** `host_iommu_device_iommufd_vfio_detach_hwpt`. */
  detachHwpt(): void {
    iommufdCdevDetachIoasHwpt(this.kernel, this.agent);
  }
}
