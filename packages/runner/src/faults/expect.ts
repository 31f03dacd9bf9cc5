import { strerror, type ErrnoName } from '@viommu/core';
import type { KernelCall } from './sweep.js';

/**
 * What QEMU does when one kernel call fails, from its source: the text its error path for that
 * call ends in (`error_setg_errno` adds `: <strerror>`; callers may prepend `vfio <name>: `,
 * `failed to setup container for group N: `, `Failed to set vIOMMU: `); the `warn_report` text
 * where QEMU only warns and goes on (later steps may then decide differently: no IOVA ranges
 * means `vfio_device_get_aw_bits` answers 64); the `error_report` text where QEMU reports the
 * failure and boots on (a step after machine init); or `same` where QEMU ignores the failure, so
 * the run must end as it does without the fault.
 */
export type FaultOutcome = { readonly endsWith: RegExp } | { readonly warns: string } | { readonly reports: RegExp } | 'same';

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ends = (re: string, errno?: ErrnoName): FaultOutcome => ({ endsWith: new RegExp(`${re}${errno ? `: ${esc(strerror(errno))}` : ''}$`) });

/**
 * Failures QEMU reports with `error_report` and runs on after: the GBPA attaches of
 * `smmuv3_accel_reset`, and the guest's STE installs (`smmu_writel` reports what
 * `smmuv3_cmdq_consume` returns; the guest sees CERROR_ILL).
 */
function guestOutcome(call: string, step: string | undefined, errno: ErrnoName): FaultOutcome | undefined {
  const reports = (re: string): FaultOutcome => ({ reports: new RegExp(`^${re}$`) });
  const e = esc(strerror(errno));
  switch (step) {
    case 'smmuv3_accel_reset':
      return call === 'VFIO_DEVICE_ATTACH_IOMMUFD_PT' ? reports('Failed to attach all GBPA based HWPTs properly') : undefined;
    case 'smmuv3_accel_install_ste_range':
      return call === 'IOMMU_DESTROY' ? undefined : reports('Failed to install all STEs properly');
    case 'smmuv3_cmdq_cfgi_ste':
      if (call === 'IOMMU_VDEVICE_ALLOC') return reports(`IOMMU_VDEVICE_ALLOC failed: ${e}`);
      if (call === 'IOMMU_HWPT_ALLOC') return reports(`Failed to allocate hwpt: ${e}`);
      if (call === 'VFIO_DEVICE_ATTACH_IOMMUFD_PT') return reports(`\\[iommufd=\\d+\\] error attach \\S+ \\(\\d+\\) to id=\\d+: ${e}`);
      return undefined;
    default:
      return undefined;
  }
}

/**
 * QEMU's outcome for a failure of `call` (with its arguments' path, for `open`/`readlink`, and
 * the step it belongs to) in `profile`, failing with `errno`.
 */
export function expectedOutcome({ name: call, path, step }: KernelCall, profile: string, errno: ErrnoName): FaultOutcome {
  const guest = guestOutcome(call, step, errno);
  if (guest) return guest;
  const open = (p: string) =>
    // 7.2 vfio_get_group/vfio_connect_container: "failed to open %s"; 10.x qemu_open_old → "Could not open '%s'"
    profile === '7.2' ? ends(`failed to open ${esc(p)}`, errno) : ends(`Could not open '${esc(p)}'`, errno);
  switch (call) {
    case 'readlink':
      // vfio_device_get_name (realpath) / vfio_device_get_group ("no iommu_group found")
      return path?.endsWith('/iommu_group') ? ends('no iommu_group found', errno) : ends('no such host device', errno);
    case 'readdir':
      // iommufd_cdev_get_devicepath: g_dir_open
      return ends(`couldn't open directory ${esc(path ?? '')}`, errno);
    case 'read':
      // iommufd_cdev_get_devicepath: g_file_get_contents (no errno)
      return ends(`failed to load "${esc(path ?? '')}"`);
    case 'open':
      // iommufd_cdev_get_devicepath's cdev open has no errno; backends use qemu_open
      if (path?.startsWith('/dev/vfio/devices/')) return ends(`Failed to open ${esc(path)}`);
      return open(path ?? '');
    case 'VFIO_GET_API_VERSION':
      return ends('supported vfio version: 0, reported version: -1');
    case 'VFIO_GROUP_GET_STATUS':
      return ends('failed to get group \\d+ status', errno);
    case 'VFIO_GROUP_SET_CONTAINER':
      return ends('Failed to set group container', errno);
    case 'VFIO_SET_IOMMU':
      return ends('Failed to set iommu for container', errno);
    case 'VFIO_IOMMU_GET_INFO':
      return ends('Failed to get VFIO IOMMU info', errno);
    case 'VFIO_GROUP_GET_DEVICE_FD':
      return ends('error getting device from group \\d+', errno);
    case 'VFIO_DEVICE_GET_INFO':
      return ends('error getting device info', errno);
    case 'VFIO_DEVICE_BIND_IOMMUFD':
      return ends('error bind device fd=\\d+ to iommufd=\\d+', errno);
    case 'IOMMU_IOAS_ALLOC':
      return ends('Failed to allocate ioas', errno);
    case 'IOMMU_HWPT_ALLOC':
      return ends('Failed to allocate hwpt', errno);
    case 'VFIO_DEVICE_ATTACH_IOMMUFD_PT':
      return ends('\\[iommufd=\\d+\\] error attach \\S+ \\(\\d+\\) to id=\\d+', errno);
    case 'IOMMU_GET_HW_INFO':
      return ends('Failed to get hardware info', errno);
    // iommufd_backend_alloc_viommu / iommufd_backend_alloc_vdev (arm-smmuv3,accel=on)
    case 'IOMMU_VIOMMU_ALLOC':
      return ends('IOMMU_VIOMMU_ALLOC failed', errno);
    case 'IOMMU_VDEVICE_ALLOC':
      return ends('IOMMU_VDEVICE_ALLOC failed', errno);
    // if (ioctl(VFIO_CHECK_EXTENSION)) reads -1 as "supported"
    case 'VFIO_CHECK_EXTENSION':
      return 'same';
    // iommufd_cdev_get_info_iova_range: warn_report and go on
    case 'IOMMU_IOAS_IOVA_RANGES':
      return { warns: `Cannot get IOVA ranges: ${strerror(errno)}` };
    // unwinding: error_report only (iommufd_backend_free_id, vfio_disconnect_container, iommufd_cdev_detach_ioas_hwpt)
    case 'IOMMU_DESTROY':
    case 'VFIO_DEVICE_DETACH_IOMMUFD_PT':
    case 'VFIO_GROUP_UNSET_CONTAINER':
      return 'same';
    default:
      throw new Error(`fault sweep: no QEMU outcome known for a failing ${call}`);
  }
}
