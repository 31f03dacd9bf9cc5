import { QemuError, type MachineContext, type ProfileId, type ViommuRealizeContext } from '@viommu/core';
import { thrown } from '@viommu/test-support';
import { machineContext, realizeContext, type MachineOpts, type TestMachine } from '@viommu/test-vmm';

export { machineContext as machineOf, pairs, type MachineOpts } from '@viommu/test-vmm';

/** A `virt` machine as the runner builds one: pcie.0, the options and globals given. */
export function virtMachine(opts: MachineOpts = {}): TestMachine {
  return machineContext('virt', opts);
}

/** A realize context for `-device arm-smmuv3,<options>` (or the machine's SMMU with `fromMachine`). */
export function realizeCtx(profile: ProfileId, machine: MachineContext, options = '', fromMachine = false): ViommuRealizeContext {
  return realizeContext(profile, machine, options, { fromMachine });
}

/** The QemuError `fn` throws. */
export const qemuError = (fn: () => unknown): QemuError => thrown(QemuError, fn);
