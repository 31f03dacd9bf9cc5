import { QemuError, type ProfileId } from '@viommu/core';
import { isRefusal, qemuSet, runQtest, type QemuSet, type QtestResult } from '@viommu/core/oracle';
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { VIRTIO_IOMMU_CONFIG_FIELDS, VIRTIO_IOMMU_DEVICE_MANIFEST, VIRTIO_IOMMU_PCI_MANIFEST, VirtioIommuPlugin } from '../../src/index.js';
import { ctx, pairs } from '../helpers.js';
import { CONFIG_CASES, ERROR_CASES, modelMachine, type OracleCase } from './cases.js';
import {
  configSpaceReads,
  findDeviceCfg,
  findVirtioMmioConfig,
  mapBarWrites,
  PCI_WINDOWS,
  VIRTIO_ID_IOMMU,
  virtioIommuConfigReads,
  virtioMmioIdReads,
} from './pci-config.js';

/**
 * Differential tests: the same configuration through a real QEMU (`@viommu/core/oracle`) and
 * through the plugin. 7.2 is Debian 12's QEMU, 10.0 the bookworm-backports build the oracle
 * unpacks; a release that is not present is skipped (nothing is installed from a test).
 */
const PROFILES: readonly ('7.2' | '10.0')[] = ['7.2', '10.0'];

function args(c: OracleCase): string[] {
  return ['-machine', c.machine, ...c.devices.flatMap((d) => ['-device', d])];
}

function pluginFor(device: string): VirtioIommuPlugin {
  return new VirtioIommuPlugin(device.startsWith('virtio-iommu-device') ? VIRTIO_IOMMU_DEVICE_MANIFEST : VIRTIO_IOMMU_PCI_MANIFEST);
}

/** Realizes the case's device under test in the model. */
function realizeModel(profile: ProfileId, c: OracleCase) {
  const [, ...opts] = c.devices.at(-1)!.split(',');
  return pluginFor(c.devices.at(-1)!).realize({ ...ctx(profile, modelMachine(c)), options: pairs(opts.join(',')) });
}

/** QEMU's refusal as `{ message, hint? }`, after checking it blames the device under test. */
function refusalOf(result: QtestResult, c: OracleCase): { message: string; hint?: string } {
  if (!isRefusal(result)) throw new Error('QEMU accepted the configuration');
  const location = `-device ${c.devices.at(-1)}: `;
  const at = result.error.indexOf(location);
  expect(at, `QEMU blames ${location}: ${result.error}`).to.be.greaterThan(0);
  const lines = result.stderr.split('\n');
  const hint = lines.slice(lines.indexOf(result.error) + 1).filter((l) => l !== '').join('\n');
  const message = result.error.slice(at + location.length);
  return hint ? { message, hint } : { message };
}

/** The config the guest reads, in `VIRTIO_IOMMU_CONFIG_FIELDS` order, through the PCI BAR or virt's virtio-mmio. */
async function qemuConfig(set: QemuSet, c: OracleCase): Promise<Record<string, bigint>> {
  const binary = set[c.arch];
  const a = args(c);
  let writes: Parameters<typeof runQtest>[0]['writes'] = [];
  let base: bigint;
  if (c.devices.at(-1)!.startsWith('virtio-iommu-device')) {
    const ids = await runQtest({ binary, args: a, reads: virtioMmioIdReads() });
    if (isRefusal(ids)) throw new Error(ids.error);
    base = findVirtioMmioConfig(ids.values, VIRTIO_ID_IOMMU);
  } else {
    const window = PCI_WINDOWS[c.arch === 'x86_64' ? 'q35' : 'virt'];
    const dump = await runQtest({ binary, args: a, writes: window.enable, reads: configSpaceReads(window) });
    if (isRefusal(dump)) throw new Error(dump.error);
    const { devfn, bar, offset } = findDeviceCfg(dump.values);
    writes = mapBarWrites(window, devfn, bar);
    base = window.bar + offset;
  }
  const r = await runQtest({ binary, args: a, writes, reads: virtioIommuConfigReads(base) });
  if (isRefusal(r)) throw new Error(r.error);
  return Object.fromEntries(VIRTIO_IOMMU_CONFIG_FIELDS.map((f, i) => [f, r.values[i]!]));
}

const tally = { run: 0, matched: 0 };

for (const profile of PROFILES) {
  describe(`oracle: QEMU ${profile} vs the virtio-iommu plugin`, function () {
    let set: QemuSet;
    before(async function () {
      try {
        set = await qemuSet(profile, { install: false });
      } catch {
        this.skip();
      }
    });

    for (const [plugin, arch] of [[new VirtioIommuPlugin(VIRTIO_IOMMU_PCI_MANIFEST), 'x86_64'], [new VirtioIommuPlugin(VIRTIO_IOMMU_DEVICE_MANIFEST), 'aarch64']] as const) {
      it(`-device ${plugin.manifest.typeName},help lists the model's properties`, () => {
        tally.run++;
        const b = set[arch];
        const r = spawnSync(b.path, [...b.args, '-device', `${plugin.manifest.typeName},help`], { env: { ...process.env, ...b.env }, encoding: 'utf8' });
        const listed = [...r.stdout.matchAll(/^ {2}([\w-]+)=/gm)].map((m) => m[1]!);
        // the child `virtio-backend` cannot be set; 10.0's list `reserved-regions` only from JSON -device
        const settable = listed.filter((n) => n !== 'virtio-backend' && n !== 'reserved-regions');
        expect(plugin.properties(profile).map((d) => d.name)).to.deep.equal(settable);
        tally.matched++;
      });
    }

    for (const c of ERROR_CASES.filter((x) => !x.profiles || x.profiles.includes(profile))) {
      it(`${c.arch} -M ${c.machine} ${c.devices.map((d) => `-device ${d}`).join(' ')}`, async () => {
        tally.run++;
        const expected = refusalOf(await runQtest({ binary: set[c.arch], args: args(c), reads: [] }), c);
        let model: { message: string; hint?: string } | null = null;
        try {
          realizeModel(profile, c);
        } catch (e) {
          if (!(e instanceof QemuError)) throw e;
          model = e.hint ? { message: e.message, hint: e.hint } : { message: e.message };
        }
        expect(model).to.deep.equal(expected);
        tally.matched++;
      });
    }

    for (const c of CONFIG_CASES.filter((x) => !x.profiles || x.profiles.includes(profile))) {
      it(`config: ${c.arch} -M ${c.machine} -device ${c.devices.at(-1)}`, async () => {
        tally.run++;
        const fromQemu = await qemuConfig(set, c);
        expect(realizeModel(profile, c).registers()).to.deep.equal(fromQemu);
        tally.matched++;
      });
    }
  });
}

after(() => {
  console.log(`  virtio-iommu oracle: ${tally.matched}/${tally.run} cases match QEMU`);
});
