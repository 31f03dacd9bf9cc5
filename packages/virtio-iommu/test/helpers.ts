import {
  createAddressSpaceMemory,
  findProfile,
  HostIOMMUDevice,
  PCITopology,
  Trace,
  TYPE_HOST_IOMMU_DEVICE,
  type IovaRange,
  type MachineContext,
  type OptionPair,
  type ProfileId,
  type ViommuRealizeContext,
} from '@viommu/core';

export type TestMachine = MachineContext & { viommus: { typeName: string; id?: string }[] };

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
  const pci = new PCITopology();
  const rootBus = family === 'pc' ? pci.addRootBus('pci.0', false) : pci.addRootBus('pcie.0', true);
  // what QEMU puts on bus 0 before any -device: the host bridge at 00.0 (and PIIX3 at 01.0 on pc)
  const builtins: Record<string, string[]> = { q35: ['mch'], pc: ['i440FX', 'PIIX3'], virt: ['gpex-root'] };
  (builtins[family] ?? []).forEach((typeName, slot) => pci.plug({ typeName, bus: rootBus, devfn: slot << 3 }));
  return {
    family,
    typeName: opts.compat ? `${family}-${opts.compat.join('.')}` : family,
    compatVersion: opts.compat ?? null,
    accel: 'tcg',
    props: opts.props ?? {},
    pci,
    rootBus,
    addressSpaceMemory: createAddressSpaceMemory(),
    viommus: [],
    globals: opts.globals ?? {},
    ...(opts.hostPageSize !== undefined ? { hostPageSize: opts.hostPageSize } : {}),
  };
}

/** Splits `a=b,c=d` into option pairs (no `,,` escapes needed in these tests). */
export function pairs(text: string): OptionPair[] {
  if (!text) return [];
  return text.split(',').map((kv) => {
    const i = kv.indexOf('=');
    return i < 0 ? { key: kv, value: 'on' } : { key: kv.slice(0, i), value: kv.slice(i + 1) };
  });
}

export function ctx(profile: ProfileId, m: MachineContext, options = '', id?: string): ViommuRealizeContext {
  return { profile: findProfile(profile)!, machine: m, options: pairs(options), trace: new Trace(), ...(id ? { id } : {}) };
}

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
export function vtdIovaRanges(mgaw: number): IovaRange[] {
  return [
    { start: 0n, last: 0xfedfffffn },
    { start: 0xfef00000n, last: (1n << BigInt(mgaw)) - 1n },
  ];
}

/** MGAW of a VT-d CAP register (bits 21:16, plus one). */
export function capMgaw(cap: bigint): number {
  return Number((cap >> 16n) & 0x3fn) + 1;
}
