import { HostIOMMUDevice, QemuError, TYPE_HOST_IOMMU_DEVICE, type IovaRange, type MachineContext, type ProfileId, type ViommuRealizeContext } from '@viommu/core';
import { thrown } from '@viommu/test-support';
import { machineContext, realizeContext, type TestMachine } from '@viommu/test-vmm';

export { pairs, type TestMachine } from '@viommu/test-vmm';

/** A machine as QEMU builds it: its root bus (`pcie.0`, or `pci.0` on `pc`) with the built-in functions, options, globals. */
export function machine(
  family: string,
  opts: {
    compat?: readonly [number, number] | null;
    props?: Record<string, string>;
    globals?: Record<string, Record<string, string>>;
    hostPageSize?: bigint;
  } = {},
): TestMachine {
  return machineContext(family, { ...opts, typeName: opts.compat ? `${family}-${opts.compat.join('.')}` : family, board: true });
}

export function ctx(profile: ProfileId, m: MachineContext, options = '', id?: string): ViommuRealizeContext {
  return realizeContext(profile, m, options, id ? { id } : {});
}

/** The QemuError `fn` throws. */
export const refusal = (fn: () => unknown): QemuError => thrown(QemuError, fn);

/**
 * A host IOMMU device with fixed IOVA ranges and page sizes, as a backend would realize it
 * (`get_iova_ranges` from the container, `get_page_size_mask` = its `pgsizes`).
 */
export class FakeHiod extends HostIOMMUDevice {
  readonly typeName = 'host-iommu-device-fake';
  readonly typeAncestors = ['host-iommu-device-fake', TYPE_HOST_IOMMU_DEVICE];
  readonly getCap = undefined;
  constructor(
    name: string,
    readonly ranges: readonly IovaRange[],
    readonly pgsizes: bigint,
  ) {
    super();
    this.name = name;
  }
  realize(): void {}
  getIovaRanges(): IovaRange[] {
    return [...this.ranges];
  }
  getPageSizeMask(): bigint {
    return this.pgsizes;
  }
}

/**
 * The usable IOVA ranges VFIO reports behind an Intel VT-d unit with `mgaw` address bits: the
 * domain aperture `[0, 2^mgaw - 1]` minus the IOAPIC/MSI window `0xfee00000-0xfeefffff` that
 * `intel_iommu_get_resv_regions` reserves (drivers/iommu/intel/iommu.c).
 */
export function vtdIovaRanges(mgaw: bigint): IovaRange[] {
  return [
    { start: 0n, last: 0xfedfffffn },
    { start: 0xfef00000n, last: (1n << mgaw) - 1n },
  ];
}

/** MGAW of a VT-d CAP register (bits 21:16, plus one). */
export function capMgaw(cap: bigint): bigint {
  return ((cap >> 16n) & 0x3fn) + 1n;
}
