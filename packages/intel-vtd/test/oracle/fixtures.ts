import { writeFileSync } from 'node:fs';
import { qemuSet, type OracleVersion } from '@viommu/core/oracle';
import { hmpIntelIommuKvm, qtestIntelIommu, type QemuAnswer } from './qtest.js';

/**
 * Records real QEMU answers as the fixtures `npm test` checks the model against:
 * `node dist/test/oracle/fixtures.js 7.2 > test/fixtures/qemu-7.2.json` (and `10.0`). The KVM
 * part needs /dev/kvm.
 */
const OPTIONS = [
  '',
  'aw-bits=48',
  'aw-bits=0x30,caching-mode=on',
  'caching-mode=on',
  'x-scalable-mode=on',
  'x-scalable-mode=on,x-pasid-mode=on',
  'x-scalable-mode=on,device-iotlb=on,snoop-control=on,aw-bits=48,caching-mode=on',
  'intremap=off',
  'intremap=off,pt=off,dma-drain=off',
  'intremap=on,eim=on,x-buggy-eim=on',
  'dma-translation=off',
  'aw-bits=48,dma-translation=off',
  'version=3',
  'eim=off,eim=on',
  'aw-bits=40',
  'aw-bits=57,x-scalable-mode=on,dma-drain=off',
  'eim=on',
  'intremap=off,eim=on',
  'x-pasid-mode=on',
  'x-pasid-mode=on,device-iotlb=on',
  'x-scalable-mode=on,dma-drain=off',
  'x-flts=on',
  'x-scalable-mode=on,x-flts=on',
  'x-scalable-mode=on,x-flts=on,fs1gp=off,caching-mode=on',
  'x-scalable-mode=on,x-flts=on,x-pasid-mode=on',
  'x-scalable-mode=on,x-flts=on,aw-bits=39',
  'x-scalable-mode=on,aw-bits=40',
  'stale-tm=on',
  'caching-mode=1',
  'aw-bits=256',
  'aw-bits=abc',
  'eim=yes',
  'version=-1',
];

/** KVM cases: [kernel-irqchip (null: q35's default, on), options]. */
const KVM: [string | null, string][] = [
  [null, ''],
  ['on', 'intremap=on'],
  ['on', 'eim=on'],
  ['split', ''],
  ['split', 'intremap=on,eim=off'],
  ['split', 'x-scalable-mode=on,caching-mode=on'],
  ['off', ''],
  ['off', 'eim=on'],
];

const version = (process.argv[2] ?? '7.2') as OracleVersion;
const { x86_64: binary } = await qemuSet(version, { install: false });
const show = (a: QemuAnswer) =>
  a.ok ? { ver: `0x${a.ver.toString(16)}`, cap: `0x${a.cap.toString(16)}`, ecap: `0x${a.ecap.toString(16)}` } : { error: a.error };
const tcg: Record<string, unknown> = {};
for (const o of OPTIONS) tcg[o] = show(await qtestIntelIommu(binary, o));
// KVM may be unusable for a QEMU on this host (10.0 here: "KVM does not support userspace
// APIC"); then no KVM answers are recorded for it.
const kvm: { kernelIrqchip: string | null; options: string; answer: unknown }[] = [];
try {
  for (const [k, o] of KVM) kvm.push({ kernelIrqchip: k, options: o, answer: show(await hmpIntelIommuKvm(binary, k, o)) });
} catch (e) {
  process.stderr.write(`KVM answers not recorded: ${(e as Error).message}\n`);
  kvm.length = 0;
}
const fixture = {
  qemu: binary.versionLine,
  tcg: { command: '-machine q35,kernel-irqchip=split -accel tcg -S -qtest stdio -display none -nodefaults -device intel-iommu,<options>', answers: tcg },
  kvm: { command: '-machine q35[,kernel-irqchip=<mode>] -accel kvm -S -monitor stdio; xp /3gx 0xfed90000', answers: kvm },
};
writeFileSync(1, `${JSON.stringify(fixture, null, 2)}\n`);
