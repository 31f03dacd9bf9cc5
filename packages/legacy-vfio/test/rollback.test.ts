import { QemuError } from '@viommu/core';
import { expect } from 'chai';
import { calls, host, live, machine } from './helpers.js';

/**
 * Fault injection at every kernel call of an attach. Expected outcome per call, from QEMU's
 * source: each failing syscall's `error_setg_errno` text (EIO → "Input/output error"), the
 * `failed to setup container for group N: ` prefix inside `vfio_container_connect`, and the
 * calls QEMU only tests for truth (`if (ioctl(fd, VFIO_CHECK_EXTENSION, …))`, the UNMAP_ALL
 * probe), where -1 reads as "supported" and the attach goes on.
 */

const H = host({ devices: [{ bdf: '0000:01:00.0', group: 7 }, { bdf: '0000:02:00.0', group: 8 }] });
const SETUP = 'failed to setup container for group 7: ';

/** Outcome when the call at that position of the fault-free sequence fails with EIO. */
function expectedFor(call: string, profileId: string): string | null {
  const open = (p: string) => (profileId === '7.2' ? `failed to open ${p}: Input/output error` : `Could not open '${p}': Input/output error`);
  const table: Record<string, string | null> = {
    'readlink /sys/bus/pci/devices/0000:01:00.0/iommu_group': 'no iommu_group found: Input/output error',
    'open /dev/vfio/7': open('/dev/vfio/7'),
    VFIO_GROUP_GET_STATUS: 'failed to get group 7 status: Input/output error',
    'open /dev/vfio/vfio': SETUP + open('/dev/vfio/vfio'),
    VFIO_GET_API_VERSION: `${SETUP}supported vfio version: 0, reported version: -1`,
    'VFIO_CHECK_EXTENSION 3': null,
    VFIO_GROUP_SET_CONTAINER: `${SETUP}Failed to set group container: Input/output error`,
    'VFIO_SET_IOMMU 3': `${SETUP}Failed to set iommu for container: Input/output error`,
    VFIO_IOMMU_GET_INFO: `${SETUP}Failed to get VFIO IOMMU info: Input/output error`,
    'VFIO_CHECK_EXTENSION 9': null,
    VFIO_GROUP_GET_DEVICE_FD: 'error getting device from group 7: Input/output error',
    VFIO_DEVICE_GET_INFO: 'error getting device info: Input/output error',
  };
  const v = table[call];
  if (v === undefined) throw new Error(`no expectation for ${call}`);
  return v;
}

describe('rollback: a fault at every kernel call of a first attach', () => {
  for (const id of ['7.2', '10.0', '10.2', 'upstream']) {
    it(`${id}: QEMU's message for that step, and nothing left in the kernel or in QEMU`, () => {
      const clean = machine(H, id);
      clean.backend.attachDevice(clean.request('0000:01:00.0'));
      const sequence = calls(clean.trace);
      const k = clean.sim.faults.calls;
      expect(k).to.equal(sequence.length).and.to.equal(id === '7.2' || id === '10.0' ? 12 : 13);
      let failures = 0;
      for (let at = 1; at <= k; at++) {
        const m = machine(H, id, [{ atCall: at, errno: 'EIO' }]);
        const before = live(m.sim, m.backend);
        const expected = expectedFor(sequence[at - 1]!, id);
        let err: unknown = null;
        let dev = null;
        try {
          dev = m.backend.attachDevice(m.request('0000:01:00.0'));
        } catch (e) {
          err = e;
        }
        expect(m.sim.faults.fired.map((f) => f.index), `fault ${at}`).to.deep.equal([at]);
        if (expected === null) {
          expect(err, `call ${at} (${sequence[at - 1]}) is ignored by QEMU`).to.equal(null);
          m.backend.detachDevice(dev!);
        } else {
          expect(err, `call ${at}`).to.be.instanceOf(QemuError);
          expect((err as QemuError).message, `call ${at}`).to.equal(expected);
          failures++;
        }
        expect(live(m.sim, m.backend), `leak after fault at call ${at} (${sequence[at - 1]})`).to.deep.equal(before);
      }
      // every call fails the attach but the CHECK_EXTENSION probes QEMU reads as truth values
      expect(failures).to.equal(11);
    });
  }

  it('a fault at VFIO_DEVICE_GET_INFO unwinds in QEMU order: device fd, UNSET_CONTAINER, container fd, group fd', () => {
    const m = machine(H, 'upstream', [{ call: 'VFIO_DEVICE_GET_INFO', errno: 'EIO' }]);
    expect(() => m.backend.attachDevice(m.request('0000:01:00.0'))).to.throw(QemuError);
    expect(calls(m.trace).slice(-5)).to.deep.equal(['VFIO_DEVICE_GET_INFO -> EIO', 'close', 'VFIO_GROUP_UNSET_CONTAINER', 'close', 'close']);
  });

  it('a fault after SET_CONTAINER closes the container then the group, without UNSET (the group fd release detaches)', () => {
    const m = machine(H, '10.0', [{ call: 'VFIO_SET_IOMMU', errno: 'EIO' }]);
    expect(() => m.backend.attachDevice(m.request('0000:01:00.0'))).to.throw(QemuError);
    expect(calls(m.trace).slice(-3)).to.deep.equal(['VFIO_SET_IOMMU 3 -> EIO', 'close', 'close']);
  });
});

describe('rollback: a fault at every kernel call of a second group joining the container', () => {
  for (const id of ['7.2', 'upstream']) {
    it(`${id}: the first device stays attached, the second leaves nothing`, () => {
      const clean = machine(H, id);
      clean.backend.attachDevice(clean.request('0000:01:00.0'));
      const first = clean.sim.faults.calls;
      clean.backend.attachDevice(clean.request('0000:02:00.0', clean.memory, 0x18));
      const k = clean.sim.faults.calls - first;
      expect(k).to.equal(6);
      const outcomes: string[] = [];
      for (let at = first + 1; at <= first + k; at++) {
        const m = machine(H, id, [{ atCall: at, errno: 'EIO' }]);
        m.backend.attachDevice(m.request('0000:01:00.0'));
        const before = live(m.sim, m.backend);
        try {
          m.backend.attachDevice(m.request('0000:02:00.0', m.memory, 0x18));
          outcomes.push('ok');
        } catch (e) {
          outcomes.push((e as QemuError).message);
          expect(live(m.sim, m.backend), `leak after fault at call ${at}`).to.deep.equal(before);
        }
      }
      const open = id === '7.2' ? 'failed to open /dev/vfio/8: Input/output error' : "Could not open '/dev/vfio/8': Input/output error";
      expect(outcomes).to.deep.equal([
        'no iommu_group found: Input/output error',
        open,
        'failed to get group 8 status: Input/output error',
        // the join attempt failed: QEMU opens a new container instead, and the attach succeeds
        'ok',
        'error getting device from group 8: Input/output error',
        'error getting device info: Input/output error',
      ]);
    });
  }
});

describe('rollback: detach with a failing VFIO_GROUP_UNSET_CONTAINER', () => {
  it('QEMU only reports it and closes the fds; the group release detaches it in the kernel: nothing left', () => {
    const m = machine(H, 'upstream', [{ call: 'VFIO_GROUP_UNSET_CONTAINER', errno: 'EIO' }]);
    m.backend.detachDevice(m.backend.attachDevice(m.request('0000:01:00.0')));
    expect(m.trace.entries.find((e) => e.name === 'error_report')?.args).to.deep.equal({ message: 'vfio: error disconnecting group 7 from container' });
    expect(calls(m.trace).slice(-4)).to.deep.equal(['close', 'VFIO_GROUP_UNSET_CONTAINER -> EIO', 'close', 'close']);
    expect(live(m.sim, m.backend)).to.deep.equal([]);
  });
});
