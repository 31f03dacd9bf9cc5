import {
  KernelError,
  VFIO_API_VERSION,
  VFIO_TYPE1_IOMMU,
  VFIO_TYPE1v2_IOMMU,
  type IoctlName,
  type SimFile,
  type VfioIommuType1Info,
} from '@viommu/core';
import type { KernelGroup } from './group.js';
import type { Type1Env } from './kernel-release.js';
import { Type1Iommu } from './type1-iommu.js';

/**
 * `struct vfio_container` (`drivers/vfio/container.c`): the groups set to it and, after
 * `VFIO_SET_IOMMU`, its type1 backend. Alive while its fd is open or a group holds it.
 */
export class KernelContainer {
  readonly groups: KernelGroup[] = [];
  iommu: Type1Iommu | null = null;
  fdOpen = true;

  constructor(
    readonly id: number,
    readonly env: Type1Env,
    private readonly onFree: (c: KernelContainer) => void,
  ) {}

  /**
   * `vfio_container_attach_group`: claims the group's DMA ownership and, when the container
   * already has its IOMMU, attaches the group to it.
   * @throws KernelError EPERM (ownership claimed elsewhere) or the backend's errno.
   */
  attachGroup(group: KernelGroup): void {
    if (group.dmaOwnerClaimed()) {
      throw new KernelError('EPERM', 'VFIO_GROUP_SET_CONTAINER', `iommu_group_claim_dma_owner: group ${group.id} is in use`);
    }
    this.iommu?.attachGroup(group);
    group.container = this;
    group.containerUsers = 1;
    this.groups.push(group);
  }

  /** `vfio_group_detach_container`: the last group leaving releases the IOMMU backend. */
  detachGroup(group: KernelGroup): void {
    this.iommu?.detachGroup(group);
    group.container = null;
    group.containerUsers = 0;
    this.groups.splice(this.groups.indexOf(group), 1);
    if (this.groups.length === 0) this.iommu = null;
    this.#maybeFree();
  }

  /** `vfio_container_ioctl_check_extension`: the set backend answers, else every registered driver. */
  checkExtension(arg: number): number {
    if (this.iommu) return Type1Iommu.checkExtension(this.iommu, arg);
    return this.env.type1 ? Type1Iommu.checkExtension(null, arg) : 0;
  }

  /**
   * `vfio_ioctl_set_iommu`: opens the type1 backend for `arg` and attaches every group.
   * @throws KernelError EINVAL (no group, or already set), ENODEV (no driver for `arg`), or
   *   the errno of the group that could not be attached.
   */
  setIommu(arg: number): void {
    if (this.groups.length === 0 || this.iommu) {
      throw new KernelError('EINVAL', 'VFIO_SET_IOMMU', this.iommu ? 'IOMMU already set' : 'no group in the container');
    }
    if (!this.env.type1 || Type1Iommu.checkExtension(null, arg) <= 0) {
      throw new KernelError('ENODEV', 'VFIO_SET_IOMMU', `no IOMMU driver for type ${arg}`);
    }
    if (arg !== VFIO_TYPE1_IOMMU && arg !== VFIO_TYPE1v2_IOMMU) {
      throw new KernelError('EINVAL', 'VFIO_SET_IOMMU', `vfio_iommu_type1_open: type ${arg}`);
    }
    const iommu = new Type1Iommu(arg, this.env);
    const done: KernelGroup[] = [];
    try {
      for (const g of this.groups) {
        iommu.attachGroup(g);
        done.push(g);
      }
    } catch (e) {
      for (const g of done.reverse()) iommu.detachGroup(g);
      throw e;
    }
    this.iommu = iommu;
  }

  /** `vfio_fops_release`. */
  closeFd(): void {
    this.fdOpen = false;
    this.#maybeFree();
  }

  #maybeFree(): void {
    if (!this.fdOpen && this.groups.length === 0) this.onFree(this);
  }
}

/** An open `/dev/vfio/vfio` (`vfio_fops`). */
export class ContainerFile implements SimFile {
  readonly kind = 'vfio-container';
  readonly description = '/dev/vfio/vfio';

  constructor(readonly container: KernelContainer) {}

  /** `vfio_fops_unl_ioctl`: other requests go to the backend once set (EINVAL before). */
  ioctl(request: IoctlName, arg: unknown): unknown {
    const c = this.container;
    switch (request) {
      case 'VFIO_GET_API_VERSION':
        return VFIO_API_VERSION;
      case 'VFIO_CHECK_EXTENSION':
        return c.checkExtension(arg as number);
      case 'VFIO_SET_IOMMU':
        return c.setIommu(arg as number);
      case 'VFIO_IOMMU_GET_INFO':
        if (!c.iommu) throw new KernelError('EINVAL', request, 'no IOMMU set');
        return c.iommu.getInfo(arg as VfioIommuType1Info);
      default:
        throw new KernelError(c.iommu ? 'ENOTTY' : 'EINVAL', request);
    }
  }

  release(): void {
    this.container.closeFd();
  }
}
