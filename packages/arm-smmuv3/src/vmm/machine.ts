import { QemuError, type MachineContext, type OptionPair } from '@viommu/core';
import type { SmmuProfile } from './profiles.js';

/** `VIRT_SMMU`: MMIO base of the machine-wide SMMU on `virt`. */
export const VIRT_SMMU_BASE = 0x09050000n;

/**
 * `virt_set_iommu`: the devices `-machine virt,iommu=…` creates for this plugin — one
 * arm-smmuv3 on pcie.0 for `smmuv3`, none for `none`.
 * @throws QemuError `Invalid iommu value` (hint `Valid values are none, smmuv3.`).
 */
export function virtMachineSmmus(machine: MachineContext): OptionPair[][] {
  if (machine.family !== 'virt') return [];
  const iommu = machine.props.iommu;
  if (iommu === undefined || iommu === 'none') return [];
  if (iommu === 'smmuv3') return [[]];
  throw new QemuError('Invalid iommu value', 'machine', undefined, 'Valid values are none, smmuv3.');
}

/**
 * `create_smmu` on virt: machine types from `virtNestedFrom` on (virt-9.2+; the class flag
 * `no_nested_smmu` is set for 9.1 and older) set `stage=nested` after the `-global`s, so it wins.
 */
export function virtForcesNested(profile: SmmuProfile, machine: MachineContext): boolean {
  const from = profile.virtNestedFrom;
  if (!from) return false;
  const v = machine.compatVersion;
  return v === null || v[0] > from[0] || (v[0] === from[0] && v[1] >= from[1]);
}

/**
 * `virt_machine_device_pre_plug_cb` for a user-created arm-smmuv3 (10.2+): no legacy
 * machine SMMU or virtio-iommu beside it; accel needs KVM with the in-kernel irqchip.
 */
export function virtPrePlugSmmu(machine: MachineContext, accel: boolean): void {
  const fail = (msg: string) => new QemuError(msg, 'realize');
  if (machine.props.iommu === 'smmuv3') throw fail("virt machine already has iommu=smmuv3 set. Doesn't support incompatible iommus");
  if (machine.viommus.some((v) => v.typeName.startsWith('virtio-iommu'))) {
    throw fail("virt machine already has virtio-iommu set. Doesn't support incompatible iommus");
  }
  if (accel && (machine.accel !== 'kvm' || machine.kernelIrqchip === 'off')) {
    throw fail('SMMUv3 accel=on requires KVM with kernel-irqchip=on support');
  }
}
