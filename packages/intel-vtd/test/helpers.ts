import type { Accel, MachineContext, ProfileId, ViommuRealizeContext } from '@viommu/core';
import { machineContext, realizeContext } from '@viommu/test-vmm';

export { pairs } from '@viommu/test-vmm';

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
  const { family = 'q35', compat = null, ...rest } = opts;
  return machineContext(family, { ...rest, compat, typeName: compat ? `pc-q35-${compat[0]}.${compat[1]}` : 'q35' });
}

/** A realize context for `-device intel-iommu,<options>`. */
export function realizeCtx(profile: ProfileId, machine: MachineContext, options = ''): ViommuRealizeContext {
  return realizeContext(profile, machine, options);
}
