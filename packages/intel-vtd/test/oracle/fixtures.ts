import { writeFileSync } from 'node:fs';
import { hmpIntelIommuKvm, qtestIntelIommu, type QemuAnswer } from './qtest.js';

/**
 * Records real QEMU 7.2 answers as the fixtures `npm test` checks the model against
 * (`node dist/test/oracle/fixtures.js > test/fixtures/qemu-7.2.json`; the KVM part needs /dev/kvm).
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

const binary = process.env.VIOMMU_QEMU_7_2 ?? 'qemu-system-x86_64';
const show = (a: QemuAnswer) =>
  a.ok ? { ver: `0x${a.ver.toString(16)}`, cap: `0x${a.cap.toString(16)}`, ecap: `0x${a.ecap.toString(16)}` } : { error: a.error };
const tcg: Record<string, unknown> = {};
for (const o of OPTIONS) tcg[o] = show(await qtestIntelIommu(binary, o));
const kvm: { kernelIrqchip: string | null; options: string; answer: unknown }[] = [];
for (const [k, o] of KVM) kvm.push({ kernelIrqchip: k, options: o, answer: show(await hmpIntelIommuKvm(binary, k, o)) });
const fixture = {
  qemu: 'Debian 1:7.2+dfsg-7+deb12u18 (QEMU 7.2.22)',
  tcg: { command: '-machine q35,kernel-irqchip=split -accel tcg -S -qtest stdio -display none -nodefaults -device intel-iommu,<options>', answers: tcg },
  kvm: { command: '-machine q35[,kernel-irqchip=<mode>] -accel kvm -S -monitor stdio; xp /3gx 0xfed90000', answers: kvm },
};
writeFileSync(1, `${JSON.stringify(fixture, null, 2)}\n`);
