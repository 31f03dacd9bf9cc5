import type { QtestRead } from '@viommu/core/oracle';
import { findProfile, QemuError, type ProfileId } from '@viommu/core';
import { ArmSmmuV3Plugin, SMMU_ID_REGISTER_OFFSET, SMMU_ID_REGISTERS, VIRT_SMMU_BASE } from '../../src/index.js';
import { realizeCtx, virtMachine } from '../helpers.js';

/** What QEMU answered (or the model predicts): the eight ID registers, or the start-up error. */
export type Outcome = { readonly registers: readonly bigint[] } | { readonly error: string; readonly hint?: string };

/** One QEMU configuration, the reads that check it, and the model's prediction. */
export interface OracleCase {
  readonly profile: Extract<ProfileId, '7.2' | '10.0'>;
  readonly name: string;
  readonly args: readonly string[];
  readonly model: () => Outcome;
}

/** `readl` of IDR0..IDR5, IIDR, AIDR at the virt SMMU (32-bit reads: 64-bit ones read 0). */
export const SMMU_READS: QtestRead[] = SMMU_ID_REGISTERS.map((r) => ({ op: 'readl' as const, addr: VIRT_SMMU_BASE + BigInt(SMMU_ID_REGISTER_OFFSET[r]) }));

/** Machine types each binary has that matter for the SMMU (every `virt` compat boundary read). */
const MACHINES: Readonly<Record<OracleCase['profile'], readonly string[]>> = {
  '7.2': ['virt', 'virt-7.2', 'virt-7.1', 'virt-7.0', 'virt-6.2', 'virt-6.0', 'virt-5.2', 'virt-5.0', 'virt-4.2', 'virt-3.1', 'virt-2.12', 'virt-2.6'],
  '10.0': ['virt', 'virt-10.0', 'virt-9.2', 'virt-9.1', 'virt-9.0', 'virt-8.2', 'virt-8.1', 'virt-8.0', 'virt-7.2', 'virt-6.2', 'virt-2.6'],
};

/** `-global arm-smmuv3.<k>=<v>` values: the stage values, typos, ranges, properties of other profiles. */
const GLOBALS: readonly (readonly [string, string] | null)[] = [
  null,
  ['stage', '1'],
  ['stage', '2'],
  ['stage', 'nested'],
  ['stage', 'S2'],
  ['bus_num', '0x10'],
  ['bus_num', '300'],
  ['bus_num', '-1'],
  ['bus_num', 'abc'],
  ['smmu_per_bus', 'on'],
  ['accel', 'on'],
  ['nosuch', '1'],
];

const plugin = new ArmSmmuV3Plugin();

function compatOf(type: string): [number, number] | null {
  const m = /^virt-(\d+)\.(\d+)$/.exec(type);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

function outcome(fn: () => Readonly<Record<string, bigint>> | null): Outcome {
  try {
    const regs = fn();
    return { registers: SMMU_ID_REGISTERS.map((r) => regs?.[r] ?? 0n) };
  } catch (e) {
    if (e instanceof QemuError) return { error: e.message, hint: e.hint };
    throw e;
  }
}

/** The model of `-machine <type>,iommu=<iommu> [-global arm-smmuv3.k=v] [-device <device>]`. */
function model(profile: OracleCase['profile'], type: string, iommu: string, global: readonly [string, string] | null, device?: string): Outcome {
  return outcome(() => {
    const m = virtMachine({
      typeName: type,
      compat: compatOf(type),
      props: { iommu },
      globals: global ? { 'arm-smmuv3': { [global[0]]: global[1] } } : {},
    });
    const smmus = plugin.machineDevices(findProfile(profile)!, m);
    const first = smmus[0] ? plugin.realize({ ...realizeCtx(profile, m, '', true), options: smmus[0] }) : null;
    if (device !== undefined) plugin.realize(realizeCtx(profile, m, device));
    return first?.registers() ?? null;
  });
}

/** Every case, in a stable order. */
export function oracleCases(): OracleCase[] {
  const out: OracleCase[] = [];
  for (const profile of ['7.2', '10.0'] as const) {
    for (const type of MACHINES[profile]) {
      for (const g of GLOBALS) {
        const args = ['-machine', `${type},iommu=smmuv3`, ...(g ? ['-global', `arm-smmuv3.${g[0]}=${g[1]}`] : [])];
        out.push({ profile, name: args.join(' '), args, model: () => model(profile, type, 'smmuv3', g) });
      }
    }
    for (const iommu of ['none', 'SMMUv3', 'virtio']) {
      const args = ['-machine', `virt,iommu=${iommu}`];
      out.push({ profile, name: args.join(' '), args, model: () => model(profile, 'virt', iommu, null) });
    }
    for (const dev of ['primary-bus=pcie.0', 'primary-bus=pcie.0,accel=on', 'stage=2']) {
      const args = ['-machine', 'virt', '-device', `arm-smmuv3,${dev}`];
      out.push({ profile, name: args.join(' '), args, model: () => model(profile, 'virt', 'none', null, dev) });
    }
  }
  return out;
}
