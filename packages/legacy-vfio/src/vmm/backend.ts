import {
  KERNEL_UAPI,
  QEMU_PROFILE,
  QemuError,
  TRACE,
  TYPE_VFIO_IOMMU_LEGACY,
  type KernelUapi,
  type LiveObject,
  type QemuProfile,
  type Trace,
  type VfioAttachRequest,
  type VfioAttachedDevice,
  type VfioIommuBackend,
} from '@viommu/core';
import { inject, injectable } from 'tsyringe';
import { deviceGet, devicePut } from './device.js';
import { deviceGetGroupId, groupGet, groupPut } from './group.js';
import { HostIOMMUDeviceLegacyVFIO } from './hiod.js';
import { LEGACY_PROFILES } from './profiles.js';
import type { LegacyVfio, VFIODevice, VFIOLegacyContainer } from './structs.js';

/** A device attached through the legacy backend. */
interface LegacyAttachedDevice extends VfioAttachedDevice {
  readonly vbasedev: VFIODevice;
}

/**
 * QEMU's legacy VFIO backend (`TYPE_VFIO_IOMMU_LEGACY`, `hw/vfio/container-legacy.c`; 7.2:
 * `hw/vfio/common.c` + `vfio_pci_realize`): groups, type1 containers shared per address
 * space, and the `host-iommu-device-legacy-vfio` where the profile has one. One per machine.
 */
@injectable()
export class VfioIommuLegacy implements VfioIommuBackend {
  readonly typeName = TYPE_VFIO_IOMMU_LEGACY;
  readonly #ctx: LegacyVfio;
  readonly #attached = new Set<LegacyAttachedDevice>();

  constructor(@inject(KERNEL_UAPI) kernel: KernelUapi, @inject(QEMU_PROFILE) profile: QemuProfile, @inject(TRACE) trace: Trace) {
    this.#ctx = { kernel, profile, legacy: LEGACY_PROFILES[profile.id], trace, groups: [], spaces: new Map() };
  }

  /**
   * `vfio_legacy_attach_device`: group id, group (and container), duplicate check, device fd,
   * host IOMMU device. Every failure undoes the steps before it in QEMU's order.
   */
  attachDevice(req: VfioAttachRequest): VfioAttachedDevice {
    const ctx = this.#ctx;
    const groupid = deviceGetGroupId(ctx, req.sysfsdev);
    ctx.trace.step('vfio_legacy_attach_device', { name: req.name, groupid });
    const vbasedev: VFIODevice = { name: req.name, fd: -1, group: null };
    const hiod = ctx.legacy.hiod === 'none' ? null : new HostIOMMUDeviceLegacyVFIO(vbasedev);
    if (hiod && ctx.legacy.hiod === 'before-group') this.#realize(hiod);
    const group = groupGet(ctx, groupid, req.addressSpace);
    try {
      if (group.devices.some((d) => d.name === req.name)) throw new QemuError('device is already attached', 'vfio-attach');
      deviceGet(ctx, group, vbasedev);
    } catch (e) {
      groupPut(ctx, group);
      throw e;
    }
    if (hiod && ctx.legacy.hiod === 'after-device') this.#realize(hiod);
    const attached: LegacyAttachedDevice = { name: req.name, hiod, vbasedev };
    this.#attached.add(attached);
    return attached;
  }

  /** `vfio_legacy_detach_device`: drop the hiod, close the device, put the group. */
  detachDevice(dev: VfioAttachedDevice): void {
    const attached = dev as LegacyAttachedDevice;
    if (!this.#attached.has(attached)) return;
    this.#attached.delete(attached);
    const group = attached.vbasedev.group;
    devicePut(this.#ctx, attached.vbasedev);
    if (group) groupPut(this.#ctx, group);
  }

  /** The container a device ended up in: its `pgsizes` and IOVA ranges (7.2 has no hiod to ask). */
  containerOf(dev: VfioAttachedDevice): Readonly<VFIOLegacyContainer> | null {
    const attached = dev as LegacyAttachedDevice;
    return this.#attached.has(attached) ? (attached.vbasedev.group?.container ?? null) : null;
  }

  /** QEMU-side objects: containers per address space, groups, devices. */
  liveObjects(): LiveObject[] {
    const out: LiveObject[] = [];
    for (const space of this.#ctx.spaces.values()) {
      for (const c of space.containers) out.push({ kind: 'qemu:container', id: c.fd, description: `${space.as.name}, groups ${c.groups.map((g) => g.groupid).join(',')}` });
    }
    for (const g of this.#ctx.groups) {
      out.push({ kind: 'qemu:group', id: g.groupid, description: `fd ${g.fd}` });
      for (const d of g.devices) out.push({ kind: 'qemu:device', id: d.fd, description: d.name });
    }
    return out;
  }

  #realize(hiod: HostIOMMUDeviceLegacyVFIO): void {
    hiod.realize();
    this.#ctx.trace.step('hiod_legacy_vfio_realize', { name: hiod.name });
  }
}
