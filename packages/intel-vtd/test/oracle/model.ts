import { QemuError, type ProfileId } from '@viommu/core';
import { IntelIommuPlugin } from '../../src/index.js';
import { q35Machine, realizeCtx } from '../helpers.js';
import type { QemuAnswer } from './qtest.js';

const plugin = new IntelIommuPlugin();

/** What the model answers for the oracle's command line (`q35,kernel-irqchip=split`, TCG). */
export function modelIntelIommu(profile: ProfileId, options: string): QemuAnswer {
  const machine = q35Machine({ accel: 'tcg', kernelIrqchip: 'split' });
  try {
    const r = plugin.realize(realizeCtx(profile, machine, options)).registers();
    return { ok: true, ver: r.ver!, cap: r.cap!, ecap: r.ecap! };
  } catch (e) {
    if (e instanceof QemuError) return { ok: false, error: e.message };
    throw e;
  }
}

const hex = (v: bigint) => `0x${v.toString(16).padStart(16, '0')}`;

/** Field-by-field differences between QEMU's answer and the model's ("" when they agree). */
export function diffAnswers(qemu: QemuAnswer, model: QemuAnswer): string[] {
  if (!qemu.ok || !model.ok) {
    const q = qemu.ok ? 'registers' : `error "${qemu.error}"`;
    const m = model.ok ? 'registers' : `error "${model.error}"`;
    return q === m ? [] : [`qemu ${q}, model ${m}`];
  }
  const out: string[] = [];
  for (const k of ['ver', 'cap', 'ecap'] as const) {
    if (qemu[k] !== model[k]) out.push(`${k}: qemu ${hex(qemu[k])}, model ${hex(model[k])} (xor ${hex(qemu[k] ^ model[k])})`);
  }
  return out;
}
