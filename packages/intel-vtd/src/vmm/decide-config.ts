import { QemuError, type MachineContext, type ProfileId } from '@viommu/core';
import type { VtdConfig } from './properties.js';
import { VTD_PROFILES } from './profiles.js';
import type { VtdIrState } from './registers.js';

/** `kvm_irqchip_in_kernel()` / `kvm_irqchip_is_split()` for a machine (q35 KVM default: `on`). */
export function irqchipState(machine: MachineContext): { inKernel: boolean; split: boolean } {
  if (machine.accel !== 'kvm') return { inKernel: false, split: false };
  const mode = machine.kernelIrqchip ?? 'on';
  return { inKernel: mode !== 'off', split: mode === 'split' };
}

const fail = (msg: string) => new QemuError(msg, 'realize');

/**
 * `x86_iommu_realize` (x86-iommu.c): resolves `intremap=auto` (off when the whole irqchip is
 * in KVM) and refuses interrupt remapping with `kernel-irqchip=on`.
 */
export function x86IommuRealize(c: VtdConfig, machine: MachineContext): boolean {
  const { inKernel, split } = irqchipState(machine);
  const irqAllKernel = inKernel && !split;
  const ir = c.intremap === 'auto' ? !irqAllKernel : c.intremap === 'on';
  if (ir && irqAllKernel) throw fail("Interrupt Remapping cannot work with kernel-irqchip=on, please use 'split|off'.");
  return ir;
}

/**
 * `vtd_realize`'s PASID/device-IOTLB check and `vtd_decide_config`, in QEMU's order, with the
 * profile's messages. The KVM x2APIC API is taken as available (every kernel since 4.7).
 * @returns interrupt remapping and the resolved EIM.
 */
export function vtdDecideConfig(profile: ProfileId, c: VtdConfig, intremap: boolean, machine: MachineContext): VtdIrState {
  const p = VTD_PROFILES[profile];
  const { inKernel, split } = irqchipState(machine);
  if (p.pasidDevIotlbCheck && c.pasid && c.deviceIotlb) throw fail('PASID based device IOTLB is not supported');
  if (c.eim === 'on' && !intremap) throw fail('eim=on cannot be selected without intremap=on');
  const eim = c.eim === 'auto' ? (inKernel || (p.has.buggyEim && c.buggyEim)) && intremap : c.eim === 'on';
  if (eim && !c.buggyEim && p.eimRequiresSplit && !split) throw fail('eim=on requires accel=kvm,kernel-irqchip=split');
  if (!p.awBitsByMode) {
    if (c.awBits !== 39 && c.awBits !== 48) throw fail('Supported values for aw-bits are: 39, 48');
  } else {
    const w = p.fstsWord;
    if (!c.scalable && c.fsts) throw fail(`${p.fstsProp} is only available in scalable mode`);
    if (!c.fsts && c.awBits !== 39 && c.awBits !== 48) {
      throw fail(`${c.scalable ? `Scalable mode(${w}=off)` : 'Legacy mode'}: supported values for aw-bits are: 39, 48`);
    }
    if (c.fsts && c.awBits !== 48) throw fail(`Scalable mode(${w}=on): supported value for aw-bits is: 48`);
  }
  if (p.drainForScalable && c.scalable && !c.dmaDrain) throw fail('Need to set dma_drain for scalable mode');
  if (c.pasid && !c.scalable) throw fail('Need to set scalable mode for PASID');
  if (p.svmChecks && c.svm) {
    if (!c.deviceIotlb) throw fail('Need to set device IOTLB for svm');
    if (!c.fsts) throw fail(`Need to set ${p.fstsWord} for svm`);
    if (!c.dmaTranslation) throw fail('Need to set dma-translation for svm');
    if (!c.pasid) throw fail('Need to set PASID support for svm');
  }
  return { intremap, eim };
}
