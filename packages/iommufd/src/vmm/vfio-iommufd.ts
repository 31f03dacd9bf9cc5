import {
  HostIommuQuirk,
  IOMMU_HW_CAP_DIRTY_TRACKING,
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
  IOMMU_HWPT_ALLOC_NEST_PARENT,
  IOMMU_HWPT_ALLOC_PASID,
  IOMMU_HWPT_DATA_NONE,
  InputError,
  KERNEL_UAPI,
  KernelError,
  QEMU_PROFILE,
  QemuError,
  TRACE,
  TYPE_VFIO_IOMMU_IOMMUFD,
  ViommuFlag,
  pciDeviceGetHostIommuQuirks,
  pciDeviceGetViommuFlags,
  strerror,
  vfioListenerRegister,
  type AddressSpace,
  type IommuIoasIovaRangesOut,
  type KernelUapi,
  type LiveObject,
  type QemuProfile,
  type Trace,
  type VfioAttachRequest,
  type VfioAttachedDevice,
  type VfioIommuBackend,
} from '@viommu/core';
import { inject, injectable } from 'tsyringe';
import { iommufdCdevGetfd } from './cdev-getfd.js';
import {
  iommufdCdevAttachIoasHwpt,
  iommufdCdevDetachIoasHwpt,
  type VFIOIOASHwpt,
  type VFIOIOMMUFDContainer,
  type VFIOIOMMUFDDevice,
} from './device.js';
import { HostIOMMUDeviceIOMMUFDVFIO } from './hiod.js';
import { IOMMUFDBackendObject } from './iommufd-backend.js';

/** `sizeof(VendorCaps)`: the vendor buffer master passes to `IOMMU_GET_HW_INFO` in auto-domains. */
const VENDOR_CAPS_SIZE = 40;
/** `qemu_real_host_page_size()` fallback when the IOVA ranges cannot be read (4 KiB hosts). */
const HOST_PAGE_SIZE = 4096n;

/**
 * `TYPE_VFIO_IOMMU_IOMMUFD` (`hw/vfio/iommufd.c`): attaches VFIO cdev devices through an
 * iommufd backend, following `iommufd_cdev_attach` step by step: get the cdev fd, connect and
 * bind, try each container of the address space on the same backend (a failure there is
 * swallowed), else allocate an IOAS; auto-domains (reuse a HWPT, `EINVAL` → next; else
 * `IOMMU_GET_HW_INFO` + flags + `IOMMU_HWPT_ALLOC` + attach); IOVA ranges; the memory
 * listener; `VFIO_DEVICE_GET_INFO`; the host IOMMU device (after bind or after attach, per
 * profile). Every failure undoes the earlier steps in QEMU's order.
 */
@injectable()
export class VfioIommuIommufd implements VfioIommuBackend {
  readonly typeName = TYPE_VFIO_IOMMU_IOMMUFD;
  /** `VFIOAddressSpace` → its containers. */
  readonly #spaces = new Map<AddressSpace, VFIOIOMMUFDContainer[]>();

  constructor(
    @inject(KERNEL_UAPI) private readonly kernel: KernelUapi,
    @inject(QEMU_PROFILE) private readonly profile: QemuProfile,
    @inject(TRACE) private readonly trace: Trace,
  ) {}

  /** `iommufd_cdev_attach`. */
  attachDevice(req: VfioAttachRequest): VfioAttachedDevice {
    const be = req.iommufd;
    if (!(be instanceof IOMMUFDBackendObject)) {
      throw new InputError(`${TYPE_VFIO_IOMMU_IOMMUFD} needs an -object iommufd linked with vfio-pci,iommufd=`, `vfio-pci ${req.name}`);
    }
    this.trace.step('iommufd_cdev_attach', { name: req.name, iommufd: be.id });
    const fd = iommufdCdevGetfd(this.kernel, req.sysfsdev);
    const vdev: VFIOIOMMUFDDevice = {
      name: req.name,
      pdev: req.pdev,
      be,
      fd,
      devid: 0,
      hwpt: null,
      container: null,
      hiod: null,
      iommuDirtyTracking: false,
    };
    try {
      this.#connectAndBind(vdev);
    } catch (e) {
      this.kernel.close(fd);
      throw e;
    }
    try {
      this.#attachToSpace(vdev, req.addressSpace);
    } catch (e) {
      vdev.hiod = null;
      this.#unbindAndDisconnect(vdev);
      this.kernel.close(fd);
      throw e;
    }
    return vdev;
  }

  /** `iommufd_cdev_detach`. */
  detachDevice(dev: VfioAttachedDevice): void {
    const vdev = dev as VFIOIOMMUFDDevice;
    const container = vdev.container;
    if (!container) return;
    container.devices.delete(vdev);
    vdev.hiod = null;
    this.#detachContainer(vdev, container);
    this.#containerDestroy(container);
    this.#unbindAndDisconnect(vdev);
    this.kernel.close(vdev.fd);
  }

  liveObjects(): LiveObject[] {
    return [...this.#spaces.values()].flat().flatMap((c) => [
      { kind: 'vfio-iommufd-container', id: c.ioasId, description: `${c.be.id} in ${c.space.name}` },
      ...c.hwptList.map((h) => ({ kind: 'vfio-iommufd-hwpt', id: h.hwptId, description: `${h.devices.size} devices` })),
    ]);
  }

  /** `iommufd_cdev_connect_and_bind`. */
  #connectAndBind(vdev: VFIOIOMMUFDDevice): void {
    vdev.be.connect();
    const iommufd = vdev.be.fd;
    try {
      vdev.devid = this.kernel.ioctl(vdev.fd, 'VFIO_DEVICE_BIND_IOMMUFD', { flags: 0, iommufd }).out_devid;
    } catch (e) {
      vdev.be.disconnect();
      if (e instanceof KernelError) throw QemuError.withErrno(`error bind device fd=${vdev.fd} to iommufd=${iommufd}`, e.errno, 'vfio-attach');
      throw e;
    }
  }

  /** `iommufd_cdev_unbind_and_disconnect` (the kernel unbinds when the cdev fd is closed). */
  #unbindAndDisconnect(vdev: VFIOIOMMUFDDevice): void {
    vdev.be.disconnect();
  }

  /** From `vfio_address_space_get` to the device joining its container. */
  #attachToSpace(vdev: VFIOIOMMUFDDevice, as: AddressSpace): void {
    if (this.profile.hiodRealize === 'after-bind') this.#hiodCreateAndRealize(vdev);
    let container = this.#joinExistingContainer(vdev, as);
    if (!container) {
      const ioasId = vdev.be.allocIoas();
      container = this.#newContainer(vdev, as, ioasId);
    }
    try {
      this.kernel.ioctl(vdev.fd, 'VFIO_DEVICE_GET_INFO', undefined);
    } catch (e) {
      this.#undoAttach(vdev, container);
      if (e instanceof KernelError) throw QemuError.withErrno('error getting device info', e.errno, 'vfio-attach');
      throw e;
    }
    try {
      if (this.profile.hiodRealize === 'after-attach') this.#hiodCreateAndRealize(vdev);
    } catch (e) {
      this.#undoAttach(vdev, container);
      throw e;
    }
    container.devices.add(vdev);
  }

  /** Step 5: each container of this space on the same backend; a failure is only traced. */
  #joinExistingContainer(vdev: VFIOIOMMUFDDevice, as: AddressSpace): VFIOIOMMUFDContainer | null {
    for (const c of this.#spaces.get(as) ?? []) {
      if (c.be !== vdev.be) continue;
      try {
        this.#attachContainer(vdev, c);
        return c;
      } catch (e) {
        if (!(e instanceof QemuError)) throw e;
        this.trace.step('iommufd_cdev_fail_attach_existing_container', { msg: e.message });
      }
    }
    return null;
  }

  /** Steps 6–10: a new container on a fresh IOAS, its IOVA ranges and its memory listener. */
  #newContainer(vdev: VFIOIOMMUFDDevice, as: AddressSpace, ioasId: number): VFIOIOMMUFDContainer {
    const c: VFIOIOMMUFDContainer = {
      be: vdev.be,
      ioasId,
      space: as,
      hwptList: [],
      devices: new Set(),
      iovaRanges: [],
      pgsizes: 0n,
      dirtyPagesSupported: false,
      bypassRo: false,
    };
    const list = this.#spaces.get(as) ?? [];
    list.push(c);
    this.#spaces.set(as, list);
    try {
      this.#attachContainer(vdev, c);
    } catch (e) {
      this.#containerDestroy(c);
      throw e;
    }
    this.#getInfoIovaRange(c);
    const err = vfioListenerRegister(as, c.pgsizes, this.profile, this.trace);
    if (err) {
      this.#undoAttach(vdev, c);
      throw err;
    }
    return c;
  }

  /** The `err_listener_register` / `err_discard_disable` labels. */
  #undoAttach(vdev: VFIOIOMMUFDDevice, c: VFIOIOMMUFDContainer): void {
    vdev.hiod = null;
    this.#detachContainer(vdev, c);
    this.#containerDestroy(c);
  }

  /** `iommufd_cdev_attach_container` → `iommufd_cdev_autodomains_get` (physical devices). */
  #attachContainer(vdev: VFIOIOMMUFDDevice, c: VFIOIOMMUFDContainer): void {
    vdev.container = c;
    try {
      this.#autodomainsGet(vdev, c);
    } catch (e) {
      vdev.container = null;
      throw e;
    }
  }

  /** `iommufd_cdev_autodomains_get`. */
  #autodomainsGet(vdev: VFIOIOMMUFDDevice, c: VFIOIOMMUFDContainer): void {
    for (const hwpt of c.hwptList) {
      try {
        iommufdCdevAttachIoasHwpt(this.kernel, vdev, hwpt.hwptId);
      } catch (e) {
        // -EINVAL: the domain is incompatible with the device; try the next one.
        if (e instanceof QemuError && e.errno === 'EINVAL') continue;
        throw e;
      }
      this.#joinHwpt(vdev, hwpt);
      return;
    }
    const flags = this.#hwptFlags(vdev, c);
    const hwptId = vdev.be.allocHwpt(vdev.devid, c.ioasId, flags, IOMMU_HWPT_DATA_NONE);
    try {
      iommufdCdevAttachIoasHwpt(this.kernel, vdev, hwptId);
    } catch (e) {
      vdev.be.freeId(hwptId);
      throw e;
    }
    const hwpt: VFIOIOASHwpt = { hwptId, hwptFlags: flags, devices: new Set() };
    c.hwptList.unshift(hwpt);
    this.#joinHwpt(vdev, hwpt);
    c.dirtyPagesSupported ||= vdev.iommuDirtyTracking;
    if (c.dirtyPagesSupported && !vdev.iommuDirtyTracking) {
      this.trace.step('warn_report', { message: `IOMMU instance for device ${vdev.name} doesn't support dirty tracking` });
    }
  }

  #joinHwpt(vdev: VFIOIOMMUFDDevice, hwpt: VFIOIOASHwpt): void {
    vdev.hwpt = hwpt;
    hwpt.devices.add(vdev);
    vdev.iommuDirtyTracking = (hwpt.hwptFlags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) !== 0;
  }

  /**
   * The flags of a new auto-domain: DIRTY_TRACKING when the host tracks dirty pages; master
   * adds NEST_PARENT when the vIOMMU wants nesting (then reads the host quirks, and with the
   * nesting-dirty gate keeps DIRTY_TRACKING only if the vIOMMU asks for it too) and PASID
   * when the device has PASIDs and the vIOMMU wants PASID attach.
   */
  #hwptFlags(vdev: VFIOIOMMUFDDevice, c: VFIOIOMMUFDContainer): number {
    const p = this.profile;
    let type = 0;
    let hwCaps: bigint;
    let maxPasidLog2 = 0;
    let data = null;
    let dataLen = 0;
    if (p.hiodRealize === 'after-bind') {
      hwCaps = vdev.hiod?.caps.hw_caps ?? 0n;
    } else {
      const info = vdev.be.getDeviceInfo(vdev.devid, p.autodomainHwInfoData ? VENDOR_CAPS_SIZE : 0);
      ({ out_data_type: type, out_capabilities: hwCaps, out_max_pasid_log2: maxPasidLog2, data } = info);
      dataLen = p.autodomainHwInfoData ? VENDOR_CAPS_SIZE : 0;
    }
    let flags = hwCaps & IOMMU_HW_CAP_DIRTY_TRACKING ? IOMMU_HWPT_ALLOC_DIRTY_TRACKING : 0;
    if (!p.viommuFlags) return flags;
    const viommuFlags = pciDeviceGetViommuFlags(vdev.pdev);
    this.trace.step('pci_device_get_viommu_flags', { name: vdev.name, flags: viommuFlags });
    if (viommuFlags & ViommuFlag.WANT_NESTING_PARENT) {
      flags |= IOMMU_HWPT_ALLOC_NEST_PARENT;
      if (p.nestingDirtyGate && !(viommuFlags & ViommuFlag.WANT_NESTING_DIRTY_TRACKING)) flags &= ~IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
      const quirks = pciDeviceGetHostIommuQuirks(vdev.pdev, type, data, dataLen);
      this.trace.step('pci_device_get_host_iommu_quirks', { name: vdev.name, quirks });
      if (quirks & HostIommuQuirk.NESTING_PARENT_BYPASS_RO) c.bypassRo = true;
    }
    if (p.pasidAttachHwpt && maxPasidLog2 && viommuFlags & ViommuFlag.WANT_PASID_ATTACH) flags |= IOMMU_HWPT_ALLOC_PASID;
    return flags;
  }

  /** `iommufd_cdev_detach_container`: a detach failure is only reported. */
  #detachContainer(vdev: VFIOIOMMUFDDevice, c: VFIOIOMMUFDContainer): void {
    try {
      iommufdCdevDetachIoasHwpt(this.kernel, vdev);
    } catch (e) {
      if (!(e instanceof QemuError)) throw e;
      this.trace.step('error_report', { message: e.message });
    }
    const hwpt = vdev.hwpt;
    vdev.container = null;
    if (!hwpt) return;
    // iommufd_cdev_autodomains_put
    hwpt.devices.delete(vdev);
    vdev.hwpt = null;
    if (hwpt.devices.size) return;
    c.hwptList.splice(c.hwptList.indexOf(hwpt), 1);
    c.be.freeId(hwpt.hwptId);
  }

  /** `iommufd_cdev_container_destroy` + `vfio_address_space_put`. */
  #containerDestroy(c: VFIOIOMMUFDContainer): void {
    if (c.devices.size) return;
    c.be.freeId(c.ioasId);
    const list = (this.#spaces.get(c.space) ?? []).filter((x) => x !== c);
    if (list.length) this.#spaces.set(c.space, list);
    else this.#spaces.delete(c.space);
  }

  /** `iommufd_cdev_get_info_iova_range`; a failure is a warning and falls back to 64-bit, 4 KiB. */
  #getInfoIovaRange(c: VFIOIOMMUFDContainer): void {
    const fd = c.be.fd;
    try {
      let num = 0;
      try {
        num = this.kernel.ioctl(fd, 'IOMMU_IOAS_IOVA_RANGES', { ioas_id: c.ioasId, num_iovas: 0 }).num_iovas;
      } catch (e) {
        if (!(e instanceof KernelError) || e.errno !== 'EMSGSIZE') throw e;
        num = (e.out as IommuIoasIovaRangesOut | undefined)?.num_iovas ?? 0;
      }
      const out = this.kernel.ioctl(fd, 'IOMMU_IOAS_IOVA_RANGES', { ioas_id: c.ioasId, num_iovas: num });
      c.iovaRanges = [...out.allowed_iovas].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
      c.pgsizes = out.out_iova_alignment;
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      this.trace.step('warn_report', {
        message: `Cannot get IOVA ranges: ${strerror(e.errno)}`,
        hint: 'Fallback to default 64bit IOVA range and 4K page size',
      });
      c.pgsizes = HOST_PAGE_SIZE;
    }
  }

  /** `vfio_device_hiod_create_and_realize` (10.1+) / `vfio_device_hiod_realize` (9.1–10.0). */
  #hiodCreateAndRealize(vdev: VFIOIOMMUFDDevice): void {
    const hiod = new HostIOMMUDeviceIOMMUFDVFIO(vdev, this.kernel, this.profile);
    hiod.realize();
    vdev.hiod = hiod;
  }
}
