import {
  KernelError,
  QemuError,
  type AddressSpace,
  type ErrnoName,
  type IovaRange,
  type KernelUapi,
  type QemuProfile,
  type Trace,
} from '@viommu/core';
import type { LegacyProfile } from './profiles.js';

/** `VFIOLegacyContainer` + the `VFIOContainer` base fields the negotiation reads. */
export interface VFIOLegacyContainer {
  readonly fd: number;
  readonly iommuType: number;
  readonly space: VFIOAddressSpace;
  readonly groups: VFIOGroup[];
  /** `pgsizes`: `iova_pgsizes` of `VFIO_IOMMU_GET_INFO`. */
  pgsizes: bigint;
  /** `iova_ranges`, sorted (7.2: the single host window `[0, UINT64_MAX]`). */
  iovaRanges: IovaRange[];
  dmaMaxMappings: number;
  dirtyPagesSupported: boolean;
  unmapAllSupported: boolean;
}

/** `VFIOGroup`. */
export interface VFIOGroup {
  readonly groupid: number;
  readonly fd: number;
  container: VFIOLegacyContainer | null;
  readonly devices: VFIODevice[];
}

/** `VFIODevice` (the parts the legacy backend owns). */
export interface VFIODevice {
  readonly name: string;
  fd: number;
  group: VFIOGroup | null;
}

/** `VFIOAddressSpace`: containers are shared per DMA address space. */
export interface VFIOAddressSpace {
  readonly as: AddressSpace;
  readonly containers: VFIOLegacyContainer[];
}

/** The per-machine state of the legacy backend (QEMU's globals `vfio_group_list`, `vfio_address_spaces`). */
export interface LegacyVfio {
  readonly kernel: KernelUapi;
  readonly profile: QemuProfile;
  readonly legacy: LegacyProfile;
  readonly trace: Trace;
  readonly groups: VFIOGroup[];
  readonly spaces: Map<AddressSpace, VFIOAddressSpace>;
}

/** `qemu_real_host_page_size()` where the kernel reports no page sizes. */
export const HOST_PAGE_SIZE = 0x1000n;

/**
 * Runs a kernel call; a failure becomes QEMU's `error_setg_errno` text built by `message`.
 * Anything but a `KernelError` is a bug and propagates unchanged.
 */
export function syscall<T>(fn: () => T, message: (errno: ErrnoName) => QemuError): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof KernelError) throw message(e.errno);
    throw e;
  }
}

/** An `ioctl` whose `-1` QEMU only tests for truth (`if (ioctl(…))`): a failure reads as -1. */
export function ioctlOrMinusOne(fn: () => number): number {
  try {
    return fn();
  } catch (e) {
    if (e instanceof KernelError) return -1;
    throw e;
  }
}

/** An `ioctl` QEMU tests with `if (!ioctl(…))`: true when it succeeded. */
export function ioctlSucceeds(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof KernelError) return false;
    throw e;
  }
}

/** `qemu_open_old` + VFIO's message (7.2) or `qemu_open` (9.1+). */
export function openNode(ctx: LegacyVfio, path: string): number {
  return syscall(
    () => ctx.kernel.open(path),
    (errno) =>
      ctx.legacy.open === 'qemu_open_old'
        ? QemuError.withErrno(`failed to open ${path}`, errno, 'vfio-attach')
        : QemuError.withErrno(`Could not open '${path}'`, errno, 'vfio-attach'),
  );
}
