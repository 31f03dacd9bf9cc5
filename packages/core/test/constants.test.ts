import { expect } from 'chai';
import {
  HOST_IOMMU_DEVICE_CAP_AW_BITS,
  HOST_IOMMU_DEVICE_CAP_AW_BITS_MAX,
  HOST_IOMMU_DEVICE_CAP_IOMMU_TYPE,
  HostIommuQuirk,
  IOMMUFD_IOCTL,
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
  IOMMU_HWPT_ALLOC_NEST_PARENT,
  IOMMU_HWPT_ALLOC_PASID,
  IOMMU_HWPT_FAULT_ID_VALID,
  IOMMU_HW_CAP_DIRTY_TRACKING,
  IOMMU_HW_CAP_PCI_PASID_EXEC,
  IOMMU_HW_CAP_PCI_PASID_PRIV,
  IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
  IOMMU_HW_INFO_TYPE_INTEL_VTD,
  IOMMU_HW_INFO_TYPE_NONE,
  IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17,
  IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
  TYPE_HOST_IOMMU_DEVICE_IOMMUFD,
  TYPE_HOST_IOMMU_DEVICE_IOMMUFD_VFIO,
  TYPE_HOST_IOMMU_DEVICE_LEGACY_VFIO,
  VFIO_IOCTL,
  VFIO_TYPE1v2_IOMMU,
  ViommuFlag,
  Errno,
  strerror,
} from '../src/index.js';

// Expected values: QEMU include/hw/core/iommu.h (seeds 000, 003), include/system/host_iommu_device.h,
// Linux include/uapi/linux/iommufd.h and vfio.h.
describe('constants equal QEMU and the kernel', () => {
  it('ViommuFlag bits are upstream enum viommu_flags (BIT_ULL 0..3)', () => {
    expect(ViommuFlag.WANT_NESTING_PARENT).to.equal(0x1n);
    expect(ViommuFlag.PASID_SUPPORTED).to.equal(0x2n);
    expect(ViommuFlag.WANT_NESTING_DIRTY_TRACKING).to.equal(0x4n);
    expect(ViommuFlag.WANT_PASID_ATTACH).to.equal(0x8n);
    expect(typeof ViommuFlag.WANT_PASID_ATTACH).to.equal('bigint');
  });
  it('HostIommuQuirk NESTING_PARENT_BYPASS_RO is BIT_ULL(0)', () => {
    expect(HostIommuQuirk.NESTING_PARENT_BYPASS_RO).to.equal(1n);
  });
  it('HOST_IOMMU_DEVICE_CAP_* ids and QOM type names', () => {
    expect(HOST_IOMMU_DEVICE_CAP_IOMMU_TYPE).to.equal(0);
    expect(HOST_IOMMU_DEVICE_CAP_AW_BITS).to.equal(1);
    expect(HOST_IOMMU_DEVICE_CAP_AW_BITS_MAX).to.equal(64);
    expect(TYPE_HOST_IOMMU_DEVICE_LEGACY_VFIO).to.equal('host-iommu-device-legacy-vfio');
    expect(TYPE_HOST_IOMMU_DEVICE_IOMMUFD).to.equal('host-iommu-device-iommufd');
    expect(TYPE_HOST_IOMMU_DEVICE_IOMMUFD_VFIO).to.equal('host-iommu-device-iommufd-vfio');
  });
  it('iommufd HWPT alloc flags, hw-info types and caps', () => {
    expect([IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_FAULT_ID_VALID, IOMMU_HWPT_ALLOC_PASID]).to.deep.equal([1, 2, 4, 8]);
    expect([IOMMU_HW_INFO_TYPE_NONE, IOMMU_HW_INFO_TYPE_INTEL_VTD, IOMMU_HW_INFO_TYPE_ARM_SMMUV3]).to.deep.equal([0, 1, 2]);
    expect([IOMMU_HW_CAP_DIRTY_TRACKING, IOMMU_HW_CAP_PCI_PASID_EXEC, IOMMU_HW_CAP_PCI_PASID_PRIV]).to.deep.equal([1n, 2n, 4n]);
    expect(IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17).to.equal(1);
    expect(IOMMU_VIOMMU_TYPE_ARM_SMMUV3).to.equal(1);
  });
  it('ioctl request numbers are 0x3b00 | nr', () => {
    expect(IOMMUFD_IOCTL.IOMMU_DESTROY).to.equal(0x3b80);
    expect(IOMMUFD_IOCTL.IOMMU_HWPT_ALLOC).to.equal(0x3b89);
    expect(IOMMUFD_IOCTL.IOMMU_GET_HW_INFO).to.equal(0x3b8a);
    expect(IOMMUFD_IOCTL.IOMMU_VIOMMU_ALLOC).to.equal(0x3b90);
    expect(IOMMUFD_IOCTL.IOMMU_VDEVICE_ALLOC).to.equal(0x3b91);
    expect(VFIO_IOCTL.VFIO_GET_API_VERSION).to.equal(0x3b64);
    expect(VFIO_IOCTL.VFIO_IOMMU_GET_INFO).to.equal(0x3b70);
    expect(VFIO_IOCTL.VFIO_DEVICE_BIND_IOMMUFD).to.equal(0x3b76);
    expect(VFIO_TYPE1v2_IOMMU).to.equal(3);
  });
  it('errno numbers and glibc texts', () => {
    expect(Errno.EINVAL).to.equal(22);
    expect(Errno.EOPNOTSUPP).to.equal(95);
    expect(Errno.EBUSY).to.equal(16);
    expect(strerror('EOPNOTSUPP')).to.equal('Operation not supported');
    expect(strerror('EINVAL')).to.equal('Invalid argument');
  });
});
