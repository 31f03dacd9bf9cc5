import {
  kernelBoolParam,
  KernelError,
  VFIO_DEVICE_ATTACH_PASID,
  type IoctlName,
  type SimDeviceState,
  type SimFile,
  type SimKernel,
  type VfioDeviceAttachIommufdPt,
  type VfioDeviceBindIommufd,
  type VfioDeviceDetachIommufdPt,
  type VfioDeviceInfoOut,
} from '@viommu/core';
import { IommufdCtx } from './iommufd-ctx.js';
import type { DeviceObj } from './objects.js';

/** `VFIO_DEVICE_FLAGS_RESET | VFIO_DEVICE_FLAGS_PCI`, `VFIO_PCI_NUM_REGIONS`, `VFIO_PCI_NUM_IRQS`. */
const VFIO_PCI_INFO: VfioDeviceInfoOut = { flags: (1 << 0) | (1 << 1), num_regions: 9, num_irqs: 5 };

/**
 * An open VFIO device cdev, `/dev/vfio/devices/vfioN` (`drivers/vfio/device_cdev.c`,
 * `vfio_main.c`): nothing but `VFIO_DEVICE_BIND_IOMMUFD` works until it is bound
 * (`EINVAL`, `df->access_granted`); closing it unbinds (`vfio_df_unbind_iommufd`).
 */
export class VfioCdevFile implements SimFile {
  readonly kind = 'vfio-device';
  readonly description: string;
  #bound: { ctx: IommufdCtx; dev: DeviceObj } | null = null;

  constructor(
    private readonly kernel: SimKernel,
    private readonly state: SimDeviceState,
    /** The iommufd each cdev-bound device (by BDF) is bound to: DMA ownership is per group. */
    private readonly bindings: Map<string, IommufdCtx>,
  ) {
    this.description = `/dev/vfio/devices/vfio${state.cdevIndex} (${state.dev.bdf})`;
  }

  ioctl(request: IoctlName, arg: unknown): unknown {
    if (request === 'VFIO_DEVICE_BIND_IOMMUFD') return this.#bind(arg as VfioDeviceBindIommufd);
    const b = this.#bound;
    if (!b) throw new KernelError('EINVAL', request, 'cdev not bound to an iommufd');
    switch (request) {
      case 'VFIO_DEVICE_GET_INFO':
        return VFIO_PCI_INFO;
      case 'VFIO_DEVICE_ATTACH_IOMMUFD_PT':
        return this.#attach(b, arg as VfioDeviceAttachIommufdPt);
      case 'VFIO_DEVICE_DETACH_IOMMUFD_PT':
        return this.#detach(b, arg as VfioDeviceDetachIommufdPt);
      default:
        throw new KernelError('ENOTTY', request, 'not a VFIO device ioctl');
    }
  }

  /**
   * `vfio_df_ioctl_bind_iommufd`: `vfio_device_block_group` (EBUSY while the group is held
   * through `/dev/vfio/N`, `group->opened_file`), then the iommufd, then `iommufd_device_bind`:
   * MSI isolation of every device of the group (EPERM unless `iommufd.allow_unsafe_interrupts`)
   * and `iommu_device_claim_dma_owner` (EBUSY when another iommufd owns the group).
   */
  #bind(arg: VfioDeviceBindIommufd): { out_devid: number } {
    const call = 'VFIO_DEVICE_BIND_IOMMUFD';
    if (arg.flags || arg.iommufd < 0) throw new KernelError('EINVAL', call, 'flags or iommufd');
    const group = this.kernel.groupDevices(this.state.dev.group);
    const viaGroup = group.find((peer) => peer.owner === 'group');
    if (viaGroup) {
      const g = this.state.dev.group;
      throw new KernelError('EBUSY', call, `vfio_device_block_group: group ${g} is open through /dev/vfio/${g} (${viaGroup.dev.bdf})`);
    }
    if (this.#bound || this.state.owner === 'cdev') throw new KernelError('EINVAL', call, 'device already bound');
    const file = this.kernel.file(arg.iommufd);
    if (!file) throw new KernelError('EBADF', call, `fd ${arg.iommufd}`);
    if (!(file instanceof IommufdCtx)) throw new KernelError('EBADFD', call, `fd ${arg.iommufd} is not an iommufd`);
    const inst = this.kernel.iommuOf(this.state.dev);
    if (!inst) throw new KernelError('ENODEV', call, `${this.state.dev.bdf} has no IOMMU driver`);
    // iommu_group_has_isolated_msi: every device of the group
    const unsafe = group.find((peer) => this.kernel.iommuOf(peer.dev)?.isolatedMsi?.(peer.dev) === false);
    if (unsafe && !kernelBoolParam(this.kernel.host.kernel, 'iommufd.allow_unsafe_interrupts')) {
      throw new KernelError('EPERM', call, `iommufd_device_bind: MSI interrupts of ${unsafe.dev.bdf} cannot be isolated by the platform`);
    }
    for (const peer of group) {
      if (peer.owner === 'cdev' && this.bindings.get(peer.dev.bdf) !== file) {
        throw new KernelError('EBUSY', call, `iommu_device_claim_dma_owner: group ${this.state.dev.group} is owned by another iommufd (${peer.dev.bdf})`);
      }
    }
    const dev = file.bindDevice((id) => ({ kind: 'device', id, state: this.state, inst, attached: null, vdevice: null }));
    this.state.owner = 'cdev';
    this.bindings.set(this.state.dev.bdf, file);
    this.#bound = { ctx: file, dev };
    return { out_devid: dev.id };
  }

  /** `vfio_df_ioctl_attach_pt` → `vfio_iommufd_physical_attach_ioas` (attach or replace). */
  #attach(b: { ctx: IommufdCtx; dev: DeviceObj }, arg: VfioDeviceAttachIommufdPt): { pt_id: number } {
    const call = 'VFIO_DEVICE_ATTACH_IOMMUFD_PT';
    const pasidFlag = this.kernel.features.hwptPasid ? VFIO_DEVICE_ATTACH_PASID : 0;
    if (arg.flags & ~pasidFlag) throw new KernelError('EINVAL', call, 'unknown flags');
    if (arg.flags & VFIO_DEVICE_ATTACH_PASID) throw new KernelError('EOPNOTSUPP', call, 'PASID attach is not modelled');
    return { pt_id: b.ctx.attach(b.dev, arg.pt_id).id };
  }

  /** `vfio_df_ioctl_detach_pt`. */
  #detach(b: { ctx: IommufdCtx; dev: DeviceObj }, arg: VfioDeviceDetachIommufdPt): void {
    if (arg.flags) throw new KernelError('EINVAL', 'VFIO_DEVICE_DETACH_IOMMUFD_PT', 'unknown flags');
    b.ctx.detach(b.dev);
  }

  release(): void {
    const b = this.#bound;
    if (!b) return;
    this.#bound = null;
    this.state.owner = null;
    this.bindings.delete(this.state.dev.bdf);
    b.ctx.unbindDevice(b.dev);
  }
}
