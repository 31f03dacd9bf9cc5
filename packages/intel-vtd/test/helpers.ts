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

/** A q35 machine as the runner builds one: pcie.0 and the options given. */
export function q35Machine(
  opts: {
    family?: string;
    compat?: readonly [number, number] | null;
    globals?: Record<string, Record<string, string>>;
    accel?: Accel;
    kernelIrqchip?: 'on' | 'off' | 'split';
    viommus?: { typeName: string; id?: string }[];
  } = {},
): MachineContext {
  const pci = new PCITopology();
  const rootBus = pci.addRootBus('pcie.0', true);
  const compat = opts.compat ?? null;
  return {
    family: opts.family ?? 'q35',
    typeName: compat ? `pc-q35-${compat[0]}.${compat[1]}` : 'q35',
    compatVersion: compat,
    accel: opts.accel ?? 'tcg',
    kernelIrqchip: opts.kernelIrqchip,
    props: {},
    pci,
    rootBus,
    addressSpaceMemory: createAddressSpaceMemory(),
    viommus: opts.viommus ?? [],
    globals: opts.globals ?? {},
  };
}

/** Splits `a=b,c=d` into option pairs (QemuOpts: a bare key means `on`). */
export function pairs(text: string): OptionPair[] {
  if (!text) return [];
  return text
    .split(',')
    .filter(Boolean)
    .map((kv) => {
      const i = kv.indexOf('=');
      return i < 0 ? { key: kv, value: 'on' } : { key: kv.slice(0, i), value: kv.slice(i + 1) };
    });
}

/** A realize context for `-device intel-iommu,<options>`. */
export function realizeCtx(profile: ProfileId, machine: MachineContext, options = ''): ViommuRealizeContext {
  return { profile: findProfile(profile)!, machine, options: pairs(options), trace: new Trace() };
}
