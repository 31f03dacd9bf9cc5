import {
  KernelError,
  QemuError,
  strerror,
  KERNEL_UAPI,
  TRACE,
  type IOMMUFDBackend,
  type IOMMUFDBackendFactory,
  type IommuHwInfoOut,
  type IommuHwptData,
  type KernelUapi,
  type Trace,
} from '@viommu/core';
import { inject, injectable } from 'tsyringe';

/**
 * The `-object iommufd,id=…` backend (`backends/iommufd.c`, QEMU 9.0+): one `/dev/iommu` fd
 * shared by every device linked to it, opened by the first user and closed by the last.
 * Each helper issues one ioctl and fails with QEMU's text.
 */
export class IOMMUFDBackendObject implements IOMMUFDBackend {
  /** `be->fd`, -1 while nobody is connected. */
  fd = -1;
  /** `be->users`. */
  users = 0;

  constructor(
    readonly id: string,
    private readonly kernel: KernelUapi,
    private readonly trace: Trace,
  ) {}

  /** `iommufd_backend_connect`. */
  connect(): void {
    if (this.users === 0) {
      this.fd = this.#run(() => this.kernel.open('/dev/iommu'), "Could not open '/dev/iommu'");
    }
    this.users++;
  }

  /** `iommufd_backend_disconnect`. */
  disconnect(): void {
    if (--this.users > 0) return;
    this.kernel.close(this.fd);
    this.fd = -1;
  }

  /** `iommufd_backend_alloc_ioas`. */
  allocIoas(): number {
    return this.#run(() => this.kernel.ioctl(this.fd, 'IOMMU_IOAS_ALLOC', { flags: 0 }), 'Failed to allocate ioas').out_ioas_id;
  }

  /** `iommufd_backend_free_id`: a failure is only reported (`error_report`). */
  freeId(id: number): void {
    try {
      this.kernel.ioctl(this.fd, 'IOMMU_DESTROY', { id });
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      this.trace.step('error_report', { message: `Failed to free id: ${id} ${strerror(e.errno)}` });
    }
  }

  allocHwpt(devId: number, ptId: number, flags: number, dataType: number, data?: IommuHwptData): number {
    const arg = { flags, dev_id: devId, pt_id: ptId, data_type: dataType, ...(data ? { data } : {}) };
    return this.#run(() => this.kernel.ioctl(this.fd, 'IOMMU_HWPT_ALLOC', arg), 'Failed to allocate hwpt').out_hwpt_id;
  }

  allocViommu(devId: number, viommuType: number, hwptId: number): number {
    const arg = { flags: 0, type: viommuType, dev_id: devId, hwpt_id: hwptId };
    return this.#run(() => this.kernel.ioctl(this.fd, 'IOMMU_VIOMMU_ALLOC', arg), 'IOMMU_VIOMMU_ALLOC failed').out_viommu_id;
  }

  allocVdev(devId: number, viommuId: number, virtId: bigint): number {
    const arg = { viommu_id: viommuId, dev_id: devId, virt_id: virtId };
    return this.#run(() => this.kernel.ioctl(this.fd, 'IOMMU_VDEVICE_ALLOC', arg), 'IOMMU_VDEVICE_ALLOC failed').out_vdevice_id;
  }

  /** `iommufd_backend_get_device_info`: `flags = 0`, so the kernel reports its default type. */
  getDeviceInfo(devId: number, dataLen: number): IommuHwInfoOut {
    const arg = { flags: 0, dev_id: devId, data_len: dataLen };
    return this.#run(() => this.kernel.ioctl(this.fd, 'IOMMU_GET_HW_INFO', arg), 'Failed to get hardware info');
  }

  /** `error_setg_errno(errp, errno, msg)` around one kernel call. */
  #run<T>(fn: () => T, msg: string): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof KernelError) throw QemuError.withErrno(msg, e.errno, 'vfio-attach');
      throw e;
    }
  }
}

/** Creates `-object iommufd` objects on the scenario's kernel (`IOMMUFD_BACKEND_FACTORY`). */
@injectable()
export class IOMMUFDBackendObjectFactory implements IOMMUFDBackendFactory {
  constructor(
    @inject(KERNEL_UAPI) private readonly kernel: KernelUapi,
    @inject(TRACE) private readonly trace: Trace,
  ) {}

  create(id: string): IOMMUFDBackend {
    return new IOMMUFDBackendObject(id, this.kernel, this.trace);
  }
}
