import { QemuError } from '@viommu/core';
import { isRefusal, mapBounded, qemuSet, runQtest, type QemuArch, type QemuBinary } from '@viommu/core/oracle';
import { expect } from 'chai';
import { deviceModels } from '../../src/input/device-models.js';
import { CAPTURED_DEVICE_MODELS } from '../../src/input/device-models-data.js';
import { unpackedWithModules } from './qemu-modules.js';

/**
 * The captured `-device` lists against the binaries again: a sample of names of every kind
 * (unknown, abstract, not user-creatable, each dynamic sysbus model on each machine, every
 * 15th user-creatable model) through `qemu-system-<arch> -machine <family> -device <name>`
 * under qtest, compared with what `DeviceModels.lookup` says. 10.0 runs from the copy with its
 * modules that `scripts/gen-device-models.mjs` unpacks; without it, the oracle's own copy
 * cannot load module models (qxl-vga, virtio-gpu-gl, …: "not a valid device model name"), so
 * such answers are left out and counted. A QEMU that is not there is skipped, saying so
 * (nothing is installed from a test).
 */
const VERSIONS = ['7.2', '10.0'] as const;
const FAMILIES = { x86_64: ['q35', 'pc'], aarch64: ['virt'] } as const;
/** `qdev_get_device_class`'s refusals: any other outcome means QEMU took the name. */
const NAME_REFUSALS = /is not a valid device model name$|^Parameter 'driver' expects a (non-abstract|pluggable|dynamic sysbus) device type/;

function every<T>(items: readonly T[], n: number): T[] {
  return items.filter((_, i) => i % n === 0);
}

/** What viommu says of `-device <name>`: QEMU's refusal text, or 'accepted'. */
function model(version: '7.2' | '10.0', arch: 'x86_64' | 'aarch64', name: string, family: string): string {
  try {
    deviceModels(version, arch).lookup(name, family);
    return 'accepted';
  } catch (e) {
    if (e instanceof QemuError) return e.message;
    throw e;
  }
}

/** What QEMU says: its refusal when it is `qdev_get_device_class`'s, else 'accepted'. */
async function qemu(binary: QemuBinary, name: string, family: string): Promise<string> {
  const r = await runQtest({ binary, args: ['-machine', family, '-device', name.replaceAll(',', ',,')], reads: [] });
  return isRefusal(r) && NAME_REFUSALS.test(r.message) ? r.message : 'accepted';
}

const tally = { run: 0, matched: 0, modules: 0 };

for (const version of VERSIONS) {
  describe(`oracle: QEMU ${version} -device model names`, function () {
    this.timeout(300_000);
    let set: Record<QemuArch, QemuBinary>;
    let withModules = true;
    before(async function () {
      try {
        const full = version === '10.0' ? await unpackedWithModules() : undefined;
        withModules = version !== '10.0' || full !== undefined;
        set = full ?? (await qemuSet(version, { install: false }));
        if (!withModules) console.log(`      QEMU ${version} without its modules: names it cannot load are left out`);
      } catch (e) {
        console.log(`      skipping QEMU ${version}: ${(e as Error).message} (node packages/core/dist/src/oracle/fetch.js installs it)`);
        this.skip();
      }
    });

    for (const arch of ['x86_64', 'aarch64'] as const) {
      const c = CAPTURED_DEVICE_MODELS[version][arch];
      for (const family of FAMILIES[arch]) {
        const names = [
          'foo',
          'Foo',
          'memory-backend-ram',
          'intel-iommu',
          'arm-smmuv3',
          ...(c.buses['System'] ?? []),
          ...every(c.abstract, 10),
          ...every(c.notUserCreatable, arch === 'aarch64' ? 40 : 5),
          ...every(Object.values(c.buses).flat().sort(), 15),
          ...Object.keys(c.aliases),
        ];
        it(`qemu-system-${arch} -machine ${family}: ${names.length} names as the binary answers`, async () => {
          const answers = await mapBounded(names, 4, (name) => qemu(set[arch], name, family));
          const mismatches: string[] = [];
          names.forEach((name, i) => {
            const q = answers[i]!;
            const m = model(version, arch, name, family);
            if (!withModules && q.startsWith(`'${name}' `) && q.endsWith(' is not a valid device model name') && m !== q) return void tally.modules++;
            tally.run++;
            if (m === q) tally.matched++;
            else mismatches.push(`-device ${name}: QEMU '${q}', viommu '${m}'`);
          });
          expect(mismatches).to.deep.equal([]);
        });
      }
    }
  });
}

after(() => {
  console.log(`  -device model names: ${tally.matched}/${tally.run} match QEMU (${tally.modules} left out: a module the QEMU could not load)`);
});
