import {
  createAddressSpaceMemory,
  findProfile,
  PCITopology,
  Trace,
  type Accel,
  type MachineContext,
  type OptionPair,
  type ProfileId,
  type ViommuRealizeContext,
} from '@viommu/core';

/** A `virt` machine as the runner builds one: pcie.0, the options and globals given. */
export function virtMachine(opts: MachineOpts = {}): MachineContext & { viommus: { typeName: string; id?: string }[] } {
  return machineOf('virt', opts);
}

export interface MachineOpts {
  typeName?: string;
  compat?: readonly [number, number] | null;
  props?: Record<string, string>;
  globals?: Record<string, Record<string, string>>;
  accel?: Accel;
  kernelIrqchip?: 'on' | 'off' | 'split';
  bypass?: boolean;
}

/** A machine of `family` (`virt`, `q35`) with its root bus pcie.0. */
export function machineOf(family: string, opts: MachineOpts = {}): MachineContext & { viommus: { typeName: string; id?: string }[] } {
  const pci = new PCITopology();
  const rootBus = pci.addRootBus('pcie.0', true, opts.bypass ?? false);
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
    viommus: [],
    globals: opts.globals ?? {},
  };
}

/** Splits `a=b,c=d` into option pairs. */
export function pairs(text: string): OptionPair[] {
  if (!text) return [];
  return text.split(',').filter(Boolean).map((kv) => {
    const i = kv.indexOf('=');
    return i < 0 ? { key: kv, value: 'on' } : { key: kv.slice(0, i), value: kv.slice(i + 1) };
  });
}

/** A realize context for `-device arm-smmuv3,<options>` (or the machine's SMMU with `fromMachine`). */
export function realizeCtx(profile: ProfileId, machine: MachineContext, options = '', fromMachine = false): ViommuRealizeContext {
  return { profile: findProfile(profile)!, machine, options: pairs(options), fromMachine, trace: new Trace() };
}
