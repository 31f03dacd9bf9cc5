import { QemuError, type ProfileId } from '@viommu/core';
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { VIRTIO_IOMMU_CONFIG_FIELDS, VIRTIO_IOMMU_DEVICE_MANIFEST, VIRTIO_IOMMU_PCI_MANIFEST, VirtioIommuPlugin } from '../../src/index.js';
import { ctx, pairs } from '../helpers.js';
import { CONFIG_CASES, ERROR_CASES, modelMachine, type OracleCase } from './cases.js';
import { cf8Access, ecamAccess, findVirtioMmioConfig, mapVirtioDeviceConfig } from './pci-config.js';
import { haveQemu, qemuError, Qtest } from './qtest.js';

/**
 * Differential tests: the same configuration through a real QEMU and through the plugin.
 * 7.2 is Debian's installed QEMU; 10.0 is the unpacked Debian build under the repository's
 * `.cache/qemu/10.0` when present. A profile whose binaries do not run is skipped.
 */
const CACHE_10_0 = fileURLToPath(new URL('../../../../../.cache/qemu/10.0/usr/bin/', import.meta.url));
const ORACLES: readonly { profile: ProfileId; bin: Record<OracleCase['arch'], string> }[] = [
  { profile: '7.2', bin: { x86_64: 'qemu-system-x86_64', aarch64: 'qemu-system-aarch64' } },
  { profile: '10.0', bin: { x86_64: `${CACHE_10_0}qemu-system-x86_64`, aarch64: `${CACHE_10_0}qemu-system-aarch64` } },
];

/** `VIRTIO_ID_IOMMU` and `PCI_DEVICE_ID_VIRTIO_IOMMU` (0x1040 + VIRTIO_ID_IOMMU). */
const VIRTIO_ID_IOMMU = 23n;
const VIRTIO_IOMMU_PCI_DEVICE_ID = 0x1040n + VIRTIO_ID_IOMMU;
/** Where the config BAR is mapped: the PCI hole on q35/pc, virt's low PCIe MMIO window; virt's high ECAM. */
const X86_BAR = 0xe0000000n;
const VIRT_BAR = 0x10000000n;
const VIRT_HIGH_PCIE_ECAM = 0x4010000000n;

function args(c: OracleCase): string[] {
  return ['-machine', c.machine, ...c.devices.flatMap((d) => ['-device', d])];
}

function pluginFor(device: string): VirtioIommuPlugin {
  return new VirtioIommuPlugin(device.startsWith('virtio-iommu-device') ? VIRTIO_IOMMU_DEVICE_MANIFEST : VIRTIO_IOMMU_PCI_MANIFEST);
}

/** The model's verdict for a case: its error (message, hint) or null. */
function modelVerdict(profile: ProfileId, c: OracleCase): { message: string; hint?: string } | null {
  const dev = c.devices.at(-1)!;
  const [, ...opts] = dev.split(',');
  try {
    pluginFor(dev).realize({ ...ctx(profile, modelMachine(c)), options: pairs(opts.join(',')) });
    return null;
  } catch (e) {
    if (!(e instanceof QemuError)) throw e;
    return e.hint ? { message: e.message, hint: e.hint } : { message: e.message };
  }
}

/** The config the guest reads, in manifest order: u64 page mask and input range, u32 domain range and probe size, u8 bypass. */
async function readConfig(q: Qtest, base: bigint): Promise<Record<string, bigint>> {
  const layout: [number, 'q' | 'l' | 'b'][] = [[0, 'q'], [8, 'q'], [16, 'q'], [24, 'l'], [28, 'l'], [32, 'l'], [36, 'b']];
  const out: Record<string, bigint> = {};
  for (const [i, [off, w]] of layout.entries()) out[VIRTIO_IOMMU_CONFIG_FIELDS[i]!] = await q.read(w, base + BigInt(off));
  return out;
}

const tally = { run: 0, matched: 0 };

for (const oracle of ORACLES) {
  describe(`oracle: QEMU ${oracle.profile} vs the virtio-iommu plugin`, function () {
    before(function () {
      if (!haveQemu(oracle.bin.x86_64) || !haveQemu(oracle.bin.aarch64)) this.skip();
    });

    for (const c of ERROR_CASES.filter((x) => !x.profiles || x.profiles.includes(oracle.profile))) {
      it(`${c.arch} -M ${c.machine} ${c.devices.map((d) => `-device ${d}`).join(' ')}`, () => {
        tally.run++;
        const refusal = qemuError(oracle.bin[c.arch], args(c));
        expect(refusal, 'QEMU accepted the configuration').to.not.equal(null);
        const { where, ...expected } = refusal!;
        expect(where, 'QEMU blames the device under test').to.equal(`-device ${c.devices.at(-1)}`);
        expect(modelVerdict(oracle.profile, c)).to.deep.equal(expected);
        tally.matched++;
      });
    }

    for (const c of CONFIG_CASES.filter((x) => !x.profiles || x.profiles.includes(oracle.profile))) {
      it(`config: ${c.arch} -M ${c.machine} -device ${c.devices.at(-1)}`, async () => {
        tally.run++;
        const q = Qtest.start(oracle.bin[c.arch], args(c));
        try {
          const pci = c.arch === 'x86_64' ? cf8Access(q) : ecamAccess(q, VIRT_HIGH_PCIE_ECAM);
          const base = c.devices.at(-1)!.startsWith('virtio-iommu-device')
            ? await findVirtioMmioConfig(q, VIRTIO_ID_IOMMU)
            : await mapVirtioDeviceConfig(pci, VIRTIO_IOMMU_PCI_DEVICE_ID, c.arch === 'x86_64' ? X86_BAR : VIRT_BAR);
          const fromQemu = await readConfig(q, base);
          const [, ...opts] = c.devices.at(-1)!.split(',');
          const model = pluginFor(c.devices.at(-1)!).realize({ ...ctx(oracle.profile, modelMachine(c)), options: pairs(opts.join(',')) });
          expect(model.registers()).to.deep.equal(fromQemu);
          tally.matched++;
        } finally {
          q.close();
        }
      });
    }
  });
}

after(() => {
  console.log(`  virtio-iommu oracle: ${tally.matched}/${tally.run} cases match QEMU`);
});
