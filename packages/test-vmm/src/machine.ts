import { createAddressSpaceMemory, PCITopology, type Accel, type MachineContext } from '@viommu/core';

/** A machine whose `viommus` a test can fill in. */
export type TestMachine = MachineContext & { viommus: { typeName: string; id?: string }[] };

export interface MachineOpts {
  /** `-machine` type name; default: the family. */
  typeName?: string;
  compat?: readonly [number, number] | null;
  props?: Record<string, string>;
  globals?: Record<string, Record<string, string>>;
  /** Default `tcg`. */
  accel?: Accel;
  kernelIrqchip?: 'on' | 'off' | 'split';
  /** The root bus bypasses the vIOMMU (`bypass_iommu`). */
  bypass?: boolean;
  viommus?: { typeName: string; id?: string }[];
  hostPageSize?: bigint;
  /**
   * The board as QEMU builds it: its root bus (`pci.0` on `pc`) and the functions it plugs on
   * bus 0 before any `-device` (the host bridge at 00.0, and PIIX3 at 01.0 on `pc`). Without
   * it, an empty `pcie.0`.
   */
  board?: boolean;
}

/** The functions each board plugs on bus 0, slot by slot. */
const BOARD_FUNCTIONS: Record<string, readonly string[]> = { q35: ['mch'], pc: ['i440FX', 'PIIX3'], virt: ['gpex-root'] };

/** A machine of `family` (`q35`, `pc`, `virt`, …) as the runner builds one. */
export function machineContext(family: string, opts: MachineOpts = {}): TestMachine {
  const pci = new PCITopology();
  const board = opts.board ?? false;
  const rootBus = board && family === 'pc' ? pci.addRootBus('pci.0', false) : pci.addRootBus('pcie.0', true, opts.bypass ?? false);
  if (board) (BOARD_FUNCTIONS[family] ?? []).forEach((typeName, slot) => pci.plug({ typeName, bus: rootBus, devfn: slot << 3 }));
  return {
    family,
    typeName: opts.typeName ?? family,
    compatVersion: opts.compat ?? null,
    accel: opts.accel ?? 'tcg',
    kernelIrqchip: opts.kernelIrqchip,
    props: opts.props ?? {},
    pci,
    rootBus,
    addressSpaceMemory: createAddressSpaceMemory(),
    viommus: opts.viommus ?? [],
    globals: opts.globals ?? {},
    ...(opts.hostPageSize !== undefined ? { hostPageSize: opts.hostPageSize } : {}),
  };
}
