import {
  KernelError,
  memoizePure,
  VFIO_GROUP_FLAGS_CONTAINER_SET,
  VFIO_GROUP_FLAGS_VIABLE,
  type IoctlName,
  type IommuInstance,
  type IovaRange,
  type SimDeviceState,
  type SimFile,
  type SimKernel,
  type VfioGroupGetDeviceFd,
  type VfioGroupSetContainer,
} from '@viommu/core';
import { ContainerFile, type KernelContainer } from './container.js';
import { DeviceFile } from './device.js';

/**
 * A VFIO PCI driver: `vfio-pci` or one of its variant drivers (`mlx5_vfio_pci`,
 * `hisi_acc_vfio_pci`, `nvgrace_gpu_vfio_pci`, `pds-vfio-pci`, `xe-vfio-pci`, …), which all
 * register VFIO devices.
 */
export const isVfioPciDriver: (driver: string) => boolean = memoizePure((driver: string) => /(?:^|[-_])vfio[-_]pci$/.test(driver));

/**
 * Drivers that set `driver_managed_dma`: binding them does not claim the group's DMA
 * ownership (`iommu_device_use_default_domain`), so the group stays viable (v5.19+).
 */
function driverManagedDma(driver: string): boolean {
  return isVfioPciDriver(driver) || driver === 'pci-stub' || driver === 'pcieport';
}

/** A device with no driver bound (`driver` empty or `none`). */
function unbound(driver: string): boolean {
  return driver === '' || driver === 'none';
}

/**
 * `struct vfio_group` (`drivers/vfio/group.c`) over one IOMMU group: who has it open, the
 * container it is set to, and how many users of that container it holds.
 */
export class KernelGroup {
  container: KernelContainer | null = null;
  /** `container_users`: 1 for the group, +1 per open device fd. */
  containerUsers = 0;
  /** References to the open group file: the group fd and every device fd. */
  fileRefs = 0;
  /** Open device fds by device name. */
  readonly deviceOpens = new Map<string, number>();

  constructor(
    readonly id: number,
    readonly kernel: SimKernel,
  ) {}

  /** Every device of the IOMMU group. */
  devices(): readonly SimDeviceState[] {
    return this.kernel.groupDevices(this.id);
  }

  /** The IOMMU instance the group sits behind (`iommu_group` of its devices). */
  iommu(): IommuInstance | undefined {
    const first = this.devices()[0];
    return first ? this.kernel.iommuOf(first.dev) : undefined;
  }

  /**
   * Devices VFIO registered (`vfio_device_set_group`): bound to a VFIO PCI driver, behind a probed
   * IOMMU that is `IOMMU_CAP_CACHE_COHERENCY` (else vfio-pci's probe fails with EINVAL).
   */
  vfioDevices(): SimDeviceState[] {
    return this.devices().filter((s) => {
      const iommu = this.kernel.iommuOf(s.dev);
      return isVfioPciDriver(s.dev.driver) && iommu !== undefined && iommu.capable('CACHE_COHERENCY', s.dev);
    });
  }

  /** `/dev/vfio/<id>` exists: at least one VFIO device in the group. */
  exists(): boolean {
    return this.vfioDevices().length > 0;
  }

  /** `iommu_get_group_resv_regions`: every device's reserved regions, sorted by start. */
  reservedRegions(): IovaRange[] {
    const out: IovaRange[] = [];
    for (const s of this.devices()) for (const r of this.kernel.iommuOf(s.dev)?.reservedRegions(s.dev) ?? []) out.push(r);
    return out.length > 1 ? out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0)) : out;
  }

  /**
   * `iommu_group_dma_owner_claimed`: a kernel driver using the DMA API is bound to a device
   * of the group, or a device is owned through its cdev (iommufd claimed it).
   */
  dmaOwnerClaimed(): boolean {
    return this.devices().some((s) => s.owner === 'cdev' || (!unbound(s.dev.driver) && !driverManagedDma(s.dev.driver)));
  }

  /** `vfio_group_fops_release` once the last file reference goes: leave the container. */
  put(): void {
    if (--this.fileRefs > 0) return;
    if (this.container) this.container.detachGroup(this);
  }
}

/** An open `/dev/vfio/<group>` (`vfio_group_fops`). */
export class GroupFile implements SimFile {
  readonly kind = 'vfio-group';
  readonly description: string;

  constructor(readonly group: KernelGroup) {
    this.description = `/dev/vfio/${group.id}`;
  }

  ioctl(request: IoctlName, arg: unknown): unknown {
    switch (request) {
      case 'VFIO_GROUP_GET_STATUS':
        return this.#getStatus();
      case 'VFIO_GROUP_SET_CONTAINER':
        return this.#setContainer(arg as VfioGroupSetContainer);
      case 'VFIO_GROUP_UNSET_CONTAINER':
        return this.#unsetContainer();
      case 'VFIO_GROUP_GET_DEVICE_FD':
        return this.#getDeviceFd(arg as VfioGroupGetDeviceFd);
      default:
        throw new KernelError('ENOTTY', request);
    }
  }

  release(): void {
    this.group.put();
  }

  /** `vfio_group_ioctl_get_status`. */
  #getStatus(): { flags: number } {
    if (this.group.container) return { flags: VFIO_GROUP_FLAGS_CONTAINER_SET | VFIO_GROUP_FLAGS_VIABLE };
    return { flags: this.group.dmaOwnerClaimed() ? 0 : VFIO_GROUP_FLAGS_VIABLE };
  }

  /** `vfio_group_ioctl_set_container` → `vfio_container_attach_group`. */
  #setContainer(arg: VfioGroupSetContainer): void {
    const f = this.group.kernel.file(arg.container_fd);
    if (!f) throw new KernelError('EBADF', 'VFIO_GROUP_SET_CONTAINER', `fd ${arg.container_fd}`);
    if (this.group.container) throw new KernelError('EINVAL', 'VFIO_GROUP_SET_CONTAINER', `group ${this.group.id} already has a container`);
    if (!(f instanceof ContainerFile)) throw new KernelError('EBADFD', 'VFIO_GROUP_SET_CONTAINER', `fd ${arg.container_fd} is not a VFIO container`);
    f.container.attachGroup(this.group);
  }

  /** `vfio_group_ioctl_unset_container`. */
  #unsetContainer(): void {
    const c = this.group.container;
    if (!c) throw new KernelError('EINVAL', 'VFIO_GROUP_UNSET_CONTAINER', `group ${this.group.id} has no container`);
    if (this.group.containerUsers !== 1) throw new KernelError('EBUSY', 'VFIO_GROUP_UNSET_CONTAINER', 'devices of the group are open');
    c.detachGroup(this.group);
  }

  /** `vfio_group_ioctl_get_device_fd` → `vfio_df_group_open`. */
  #getDeviceFd(arg: VfioGroupGetDeviceFd): number {
    const state = this.group.vfioDevices().find((s) => s.dev.bdf === arg.name);
    if (!state) throw new KernelError('ENODEV', 'VFIO_GROUP_GET_DEVICE_FD', `no VFIO device ${arg.name} in group ${this.group.id}`);
    if (!this.group.container) throw new KernelError('EINVAL', 'VFIO_GROUP_GET_DEVICE_FD', `group ${this.group.id} has no container`);
    state.owner = 'group';
    this.group.deviceOpens.set(arg.name, (this.group.deviceOpens.get(arg.name) ?? 0) + 1);
    this.group.containerUsers++;
    this.group.fileRefs++;
    return this.group.kernel.installFile(new DeviceFile(state, this.group));
  }
}
