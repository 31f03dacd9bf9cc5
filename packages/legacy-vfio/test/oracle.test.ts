import { QemuError, type AddressSpace } from '@viommu/core';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { calls, host, machine } from './helpers.js';

/**
 * The simulation against real QEMU binaries: `oracle/record-qemu.sh` ran Debian's
 * qemu-system-x86_64 7.2.22 and 10.0.2 over `oracle/vfio-type1-shim.c` (a fake type1 kernel
 * answering like this host: group 7, type1v2, 48-bit aperture minus the MSI window) and
 * failed each kernel call in turn with EIO. Each run records QEMU's calls and its stderr.
 */
interface Run {
  readonly failAt: number;
  readonly calls: readonly string[];
  readonly stderr: readonly string[];
}
interface Fixture {
  readonly qemu: string;
  readonly runs: readonly Run[];
  /** A `device_add` through the monitor that fails after the attach: the device is finalized. */
  readonly hotplug: { readonly calls: readonly string[]; readonly error: readonly string[] };
  /** qemu-system-aarch64 `-M virt,iommu=smmuv3`: the container's memory listener is refused. */
  readonly smmuv3: { readonly calls: readonly string[]; readonly stderr: readonly string[] };
}

const PREFIX = 'qemu-system-x86_64: -device vfio-pci,host=0000:01:00.0: vfio 0000:01:00.0: ';
const H = host({ apertureBits: 48, devices: [{ bdf: '0000:01:00.0', group: 7 }] });
/** The first device ioctl after the attach (`VFIO_DEVICE_GET_REGION_INFO`), which the shim refuses. */
const PAST_ATTACH = 'ioctl 0x3b6c';

function load(label: string): Fixture {
  return JSON.parse(readFileSync(new URL(`../../test/fixtures/qemu-${label}-legacy-attach.json`, import.meta.url), 'utf8')) as Fixture;
}

/**
 * QEMU's error and hint. Lines of other origin are skipped: under TCG, 10.0 also warns
 * `group ID 7: KVM VFIO device isn't created yet` when it puts the group (no KVM device).
 */
function errorOf(run: Run): { message: string; hint?: string } {
  const i = run.stderr.findIndex((l) => l.startsWith(PREFIX));
  const hint = run.stderr[i + 1];
  return { message: run.stderr[i]!.slice(PREFIX.length), hint: hint && !hint.startsWith('qemu-system') ? hint : undefined };
}

for (const label of ['7.2', '10.0']) {
  const fixture = load(label);

  describe(`oracle: ${fixture.qemu}, legacy attach with a fault at each call`, () => {
    it('covers the fault-free run and a fault at each of the 12 calls', () => {
      expect(fixture.runs.map((r) => r.failAt)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    });

    for (const run of fixture.runs) {
      it(`fault at call ${run.failAt}${run.failAt ? ` (${run.calls[run.failAt - 1]})` : ''}: same calls, same unwind, same message`, () => {
        const m = machine(H, label, run.failAt ? [{ atCall: run.failAt, errno: 'EIO' }] : []);
        let err: QemuError | null = null;
        try {
          m.backend.attachDevice(m.request('0000:01:00.0'));
        } catch (e) {
          if (!(e instanceof QemuError)) throw e;
          err = e;
        }
        if (err) {
          expect(calls(m.trace)).to.deep.equal(run.calls);
          expect({ message: err.message, hint: err.hint }).to.deep.equal(errorOf(run));
        } else {
          // QEMU attached and failed later in vfio_pci_realize (region info), past the backend
          expect(calls(m.trace)).to.deep.equal(run.calls.slice(0, run.calls.findIndex((c) => c.startsWith(PAST_ATTACH))));
          expect(errorOf(run).message).to.equal('failed to get region 0 info: Inappropriate ioctl for device');
        }
      });
    }

    it('hot-plug failing after the attach: the finalized device detaches in QEMU order (device fd, UNSET_CONTAINER, container, group)', () => {
      const m = machine(H, label);
      m.backend.detachDevice(m.backend.attachDevice(m.request('0000:01:00.0')));
      expect(calls(m.trace)).to.deep.equal(fixture.hotplug.calls.filter((c) => !c.startsWith(PAST_ATTACH)));
    });
  
    it('behind the emulated SMMUv3 (virt,iommu=smmuv3) the listener refusal fails the container: same calls, unwind and message', () => {
      // The SMMUv3 region (name and refusal) is the arm-smmuv3 plugin's; here it stands in as QEMU printed it.
      const line = fixture.smmuv3.stderr[0]!;
      const [, region, refusal] = /Region (\S+): (.*)$/.exec(line)!;
      const smmu: AddressSpace = { name: 'smmuv3-as', iommu: { name: region!, notifyFlagChanged: () => new QemuError(refusal!, 'vfio-attach') } };
      const m = machine(H, label);
      let err: unknown = null;
      try {
        m.backend.attachDevice(m.request('0000:01:00.0', smmu));
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(QemuError);
      expect(`qemu-system-aarch64: -device vfio-pci,host=0000:01:00.0: vfio 0000:01:00.0: ${(err as QemuError).message}`).to.equal(line);
      expect(calls(m.trace)).to.deep.equal(fixture.smmuv3.calls);
    });
  });
}
