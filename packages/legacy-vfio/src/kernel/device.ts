import { KernelError, type IoctlName, type SimDeviceState, type SimFile, type VfioDeviceInfoOut } from '@viommu/core';
import type { KernelGroup } from './group.js';

/** `VFIO_DEVICE_FLAGS_RESET` / `VFIO_DEVICE_FLAGS_PCI` (`include/uapi/linux/vfio.h`). */
export const VFIO_DEVICE_FLAGS_RESET = 1 << 0;
export const VFIO_DEVICE_FLAGS_PCI = 1 << 1;
/** `VFIO_PCI_NUM_REGIONS` (BAR0-5, ROM, config, VGA) and `VFIO_PCI_NUM_IRQS` (INTx, MSI, MSI-X, ERR, REQ). */
export const VFIO_PCI_NUM_REGIONS = 9;
export const VFIO_PCI_NUM_IRQS = 5;

/** A device fd handed out by `VFIO_GROUP_GET_DEVICE_FD` (`vfio_device_fops`). */
export class DeviceFile implements SimFile {
  readonly kind = 'vfio-device';
  readonly description: string;

  constructor(
    readonly state: SimDeviceState,
    readonly group: KernelGroup,
  ) {
    this.description = `[vfio-device] ${state.dev.bdf}`;
  }

  ioctl(request: IoctlName): unknown {
    if (request === 'VFIO_DEVICE_GET_INFO') return this.#getInfo();
    throw new KernelError('ENOTTY', request);
  }

  /**
   * `vfio_pci_ioctl_get_info`. The RESET flag depends on the function's reset methods, which
   * host models do not record: reported as available (the common case for passthrough NICs/GPUs).
   */
  #getInfo(): VfioDeviceInfoOut {
    return { flags: VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET, num_regions: VFIO_PCI_NUM_REGIONS, num_irqs: VFIO_PCI_NUM_IRQS };
  }

  /** `vfio_device_fops_release` → `vfio_df_group_close`: drops its container user and group reference. */
  release(): void {
    const name = this.state.dev.bdf;
    const opens = (this.group.deviceOpens.get(name) ?? 1) - 1;
    if (opens === 0) {
      this.group.deviceOpens.delete(name);
      this.state.owner = null;
    } else this.group.deviceOpens.set(name, opens);
    this.group.containerUsers--;
    this.group.put();
  }
}
