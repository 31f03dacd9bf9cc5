import {
  FaultPlan,
  PROFILE_UPSTREAM,
  SimKernel,
  Trace,
  tracedKernel,
  type FaultSpec,
  type HostIommuUnit,
  type HostModel,
  type HostPciDevice,
  type IommuDriver,
  type IommuHwptData,
  type KernelUapi,
} from '@viommu/core';
import { IommufdSubsystem } from '../src/kernel/subsystem.js';
import { MockIommuDriver } from './mock-driver.js';

export interface HostOpts {
  release?: string;
  units?: HostIommuUnit[];
  devices?: HostPciDevice[];
  iommufd?: boolean;
  vfioCdev?: boolean;
}

export const mockUnit = (name: string, extra: HostIommuUnit['extra'] = {}): HostIommuUnit => ({ name, vendor: 'mock', registers: {}, extra });
export const mockDev = (bdf: string, unit = 'mock0', more: Partial<HostPciDevice> = {}): HostPciDevice => ({
  bdf,
  unit,
  group: Number.parseInt(bdf.slice(5, 7), 16),
  driver: 'vfio-pci',
  ...more,
});

/** A host whose devices sit behind mock IOMMUs (defaults: one unit, two devices, kernel 6.17). */
export function mockHost(o: HostOpts = {}): HostModel {
  return {
    id: 'mock',
    arch: 'x86_64',
    kernel: { release: o.release ?? '6.17.0', cmdline: '', iommufd: o.iommufd ?? true, vfioCdev: o.vfioCdev ?? true, vfioType1: false },
    units: o.units ?? [mockUnit('mock0')],
    devices: o.devices ?? [mockDev('0000:01:00.0'), mockDev('0000:02:00.0')],
  };
}

/** A simulated kernel with the iommufd subsystem, as the runner builds one. */
export function simKernel(host: HostModel = mockHost(), faults: FaultSpec[] = [], drivers: IommuDriver[] = [new MockIommuDriver()]): SimKernel {
  const k = new SimKernel(host, drivers, new FaultPlan(faults));
  k.addSubsystem(new IommufdSubsystem());
  return k;
}

/** Expects `fn` to throw a KernelError with `errno`. */
export function errnoOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { errno?: string }).errno;
  }
  return undefined;
}

/** A context on `/dev/iommu` with helpers named after `iommufd_utils.h`. */
export class Ctx {
  readonly fd: number;
  readonly devFds = new Map<number, number>();

  constructor(readonly k: KernelUapi) {
    this.fd = k.open('/dev/iommu');
  }

  ioasAlloc(): number {
    return this.k.ioctl(this.fd, 'IOMMU_IOAS_ALLOC', { flags: 0 }).out_ioas_id;
  }

  /** Opens and binds the cdev of host device index `n`; returns the dev_id. */
  bind(n: number): number {
    const devFd = this.k.open(`/dev/vfio/devices/vfio${n}`);
    const id = this.k.ioctl(devFd, 'VFIO_DEVICE_BIND_IOMMUFD', { flags: 0, iommufd: this.fd }).out_devid;
    this.devFds.set(id, devFd);
    return id;
  }

  attach(devId: number, ptId: number): number {
    return this.k.ioctl(this.devFds.get(devId)!, 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', { flags: 0, pt_id: ptId }).pt_id;
  }

  /** `test_cmd_mock_domain`: a bound device attached to `ioasId` → { devId, hwptId }. */
  mockDomain(n: number, ioasId: number): { devId: number; hwptId: number } {
    const devId = this.bind(n);
    return { devId, hwptId: this.attach(devId, ioasId) };
  }

  hwptAlloc(devId: number, ptId: number, flags: number, more: Partial<{ data_type: number; data: IommuHwptData; fault_id: number; __reserved: number }> = {}): number {
    return this.k.ioctl(this.fd, 'IOMMU_HWPT_ALLOC', { flags, dev_id: devId, pt_id: ptId, data_type: 0, ...more }).out_hwpt_id;
  }

  destroy(id: number): void {
    this.k.ioctl(this.fd, 'IOMMU_DESTROY', { id });
  }

  close(): void {
    for (const fd of this.devFds.values()) this.k.close(fd);
    this.k.close(this.fd);
  }
}

export const traced = (k: SimKernel, trace = new Trace()) => ({ kernel: tracedKernel(k, trace), trace });
export { PROFILE_UPSTREAM };
