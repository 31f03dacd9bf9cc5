import {
  HOST_IOMMU_DEVICE_CAP_AW_BITS,
  HOST_IOMMU_DEVICE_CAP_IOMMU_TYPE,
  HostIommuQuirk,
  IOMMU_HW_INFO_TYPE_SELFTEST,
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
  IOMMU_HWPT_ALLOC_NEST_PARENT,
  PROFILE_10_0,
  PROFILE_10_2,
  PROFILE_UPSTREAM,
  TYPE_HOST_IOMMU_DEVICE_IOMMUFD,
  ViommuFlag,
  type HostIOMMUDeviceIOMMUFD,
} from '@viommu/core';
import { expect } from 'chai';
import { mockDev, mockHost, mockUnit } from './helpers.js';
import { Scenario } from './vmm-helpers.js';

const A = '0000:01:00.0';
const B = '0000:02:00.0';
const C = '0000:03:00.0';

/** Devices A and C behind mock0, B behind mock1 (domains do not cross IOMMU instances). */
const twoUnits = (extra1: Record<string, boolean> = {}) =>
  mockHost({
    units: [mockUnit('mock0', extra1), mockUnit('mock1')],
    devices: [mockDev(A, 'mock0'), mockDev(B, 'mock1'), mockDev(C, 'mock0')],
  });

const GETFD = ['readlink', 'readdir', 'read', 'open'];
/**
 * A device in a new container (upstream): IOAS, auto-domain HWPT on the hw_info type, attach,
 * then `iommufd_cdev_get_info_iova_range` (its first call sized short: EMSGSIZE).
 */
const NEW_IOAS = [
  'IOMMU_IOAS_ALLOC',
  'IOMMU_GET_HW_INFO',
  'IOMMU_HWPT_ALLOC',
  'VFIO_DEVICE_ATTACH_IOMMUFD_PT',
  'IOMMU_IOAS_IOVA_RANGES',
  'IOMMU_IOAS_IOVA_RANGES',
];

describe('iommufd_cdev_attach: the attach sequence (hw/vfio/iommufd.c)', () => {
  it('fresh HWPT (upstream): bind, IOAS, GET_HW_INFO, HWPT_ALLOC, attach, IOVA ranges, GET_INFO, hiod realize', () => {
    const s = new Scenario();
    s.realize(A, 1);
    expect(s.callsSince()).to.deep.equal([
      ...GETFD,
      'open',
      'VFIO_DEVICE_BIND_IOMMUFD',
      ...NEW_IOAS,
      'VFIO_DEVICE_GET_INFO',
      'IOMMU_GET_HW_INFO',
    ]);
    const alloc = s.trace.entries.find((e) => e.name === 'IOMMU_HWPT_ALLOC')!;
    expect(alloc.args?.['flags']).to.equal(IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    expect(s.trace.entries.find((e) => e.name === 'IOMMU_GET_HW_INFO')!.args?.['data_len']).to.equal(40);
    expect(s.trace.entries[s.trace.entries.findIndex((e) => e.name === 'IOMMU_IOAS_IOVA_RANGES')]!.errno).to.equal('EMSGSIZE');
  });

  it('10.2: no vendor buffer in auto-domains; 10.0: hiod realized right after bind, no GET_HW_INFO in auto-domains', () => {
    const s102 = new Scenario(PROFILE_10_2);
    s102.realize(A, 1);
    expect(s102.trace.entries.find((e) => e.name === 'IOMMU_GET_HW_INFO')!.args?.['data_len']).to.equal(0);
    const s100 = new Scenario(PROFILE_10_0);
    s100.realize(A, 1);
    expect(s100.callsSince()).to.deep.equal([
      ...GETFD,
      'open',
      'VFIO_DEVICE_BIND_IOMMUFD',
      'IOMMU_GET_HW_INFO',
      'IOMMU_IOAS_ALLOC',
      'IOMMU_HWPT_ALLOC',
      'VFIO_DEVICE_ATTACH_IOMMUFD_PT',
      'IOMMU_IOAS_IOVA_RANGES',
      'IOMMU_IOAS_IOVA_RANGES',
      'VFIO_DEVICE_GET_INFO',
    ]);
    expect(s100.trace.entries.find((e) => e.name === 'IOMMU_HWPT_ALLOC')!.args?.['flags']).to.equal(IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
  });

  it('reuse: a second device of the same address space joins the first HWPT (no IOAS, no HWPT_ALLOC)', () => {
    const s = new Scenario(PROFILE_UPSTREAM, twoUnits());
    s.realize(A, 1);
    const from = s.trace.entries.length;
    s.realize(C, 3);
    expect(s.callsSince(from)).to.deep.equal([...GETFD, 'VFIO_DEVICE_BIND_IOMMUFD', 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', 'VFIO_DEVICE_GET_INFO', 'IOMMU_GET_HW_INFO']);
    const [a, c] = [s.hiods.get(8), s.hiods.get(24)] as HostIOMMUDeviceIOMMUFD[];
    expect(a!.hwptId).to.equal(c!.hwptId);
  });

  it('reuse refused with EINVAL → next HWPT, then a new HWPT in the same IOAS', () => {
    const s = new Scenario(PROFILE_UPSTREAM, twoUnits());
    s.realize(A, 1);
    const from = s.trace.entries.length;
    s.realize(B, 2);
    expect(s.callsSince(from)).to.deep.equal([
      ...GETFD,
      'VFIO_DEVICE_BIND_IOMMUFD',
      'VFIO_DEVICE_ATTACH_IOMMUFD_PT',
      'IOMMU_GET_HW_INFO',
      'IOMMU_HWPT_ALLOC',
      'VFIO_DEVICE_ATTACH_IOMMUFD_PT',
      'VFIO_DEVICE_GET_INFO',
      'IOMMU_GET_HW_INFO',
    ]);
    expect(s.trace.entries.slice(from).find((e) => e.name === 'VFIO_DEVICE_ATTACH_IOMMUFD_PT')!.errno).to.equal('EINVAL');
    // C tries B's HWPT first (most recent), gets EINVAL, then joins A's.
    const fromC = s.trace.entries.length;
    s.realize(C, 3);
    const attaches = s.trace.entries.slice(fromC).filter((e) => e.name === 'VFIO_DEVICE_ATTACH_IOMMUFD_PT');
    expect(attaches.map((e) => e.errno ?? 'ok')).to.deep.equal(['EINVAL', 'ok']);
    expect(s.live().filter((o) => o.startsWith('vfio-iommufd-container'))).to.have.length(1);
  });

  it('reuse refused with another errno → the container is given up (error discarded) and a new IOAS is used', () => {
    const s = new Scenario(PROFILE_UPSTREAM, twoUnits(), [{ call: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', occurrence: 2, errno: 'EBUSY' }]);
    s.realize(A, 1);
    const from = s.trace.entries.length;
    s.realize(C, 3);
    expect(s.callsSince(from)).to.deep.equal([
      ...GETFD,
      'VFIO_DEVICE_BIND_IOMMUFD',
      'VFIO_DEVICE_ATTACH_IOMMUFD_PT',
      ...NEW_IOAS,
      'VFIO_DEVICE_GET_INFO',
      'IOMMU_GET_HW_INFO',
    ]);
    const swallowed = s.trace.entries.find((e) => e.name === 'iommufd_cdev_fail_attach_existing_container');
    expect(swallowed?.args?.['msg']).to.equal('[iommufd=4] error attach 0000:03:00.0 (5) to id=3: Device or resource busy');
    expect(s.live().filter((o) => o.startsWith('vfio-iommufd-container'))).to.have.length(2);
  });

  it('nest parent wanted by the vIOMMU (upstream): NEST_PARENT, DIRTY dropped without WANT_NESTING_DIRTY_TRACKING, quirks asked', () => {
    const s = new Scenario(PROFILE_UPSTREAM, undefined, [], { flags: ViommuFlag.WANT_NESTING_PARENT, quirks: HostIommuQuirk.NESTING_PARENT_BYPASS_RO });
    s.realize(A, 1);
    expect(s.trace.entries.find((e) => e.name === 'IOMMU_HWPT_ALLOC')!.args?.['flags']).to.equal(IOMMU_HWPT_ALLOC_NEST_PARENT);
    expect(s.quirkCalls).to.deep.equal([{ type: IOMMU_HW_INFO_TYPE_SELFTEST, size: 40 }]);
    const both = new Scenario(PROFILE_UPSTREAM, undefined, [], { flags: ViommuFlag.WANT_NESTING_PARENT | ViommuFlag.WANT_NESTING_DIRTY_TRACKING });
    both.realize(A, 1);
    expect(both.trace.entries.find((e) => e.name === 'IOMMU_HWPT_ALLOC')!.args?.['flags']).to.equal(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
  });

  it('nest parent asked and refused by the host: QEMU fails with the HWPT_ALLOC errno and leaves nothing', () => {
    const host = mockHost({ units: [mockUnit('mock0', { noNesting: true })] });
    const s = new Scenario(PROFILE_UPSTREAM, host, [], { flags: ViommuFlag.WANT_NESTING_PARENT });
    expect(s.realizeError(A, 1)).to.equal('vfio 0000:01:00.0: Failed to allocate hwpt: Operation not supported');
    expect(s.live()).to.deep.equal([]);
    // 10.2 has no vIOMMU flags: the same vIOMMU and host attach with DIRTY_TRACKING only.
    const old = new Scenario(PROFILE_10_2, host, [], { flags: ViommuFlag.WANT_NESTING_PARENT });
    old.realize(A, 1);
    expect(old.trace.entries.find((e) => e.name === 'IOMMU_HWPT_ALLOC')!.args?.['flags']).to.equal(IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    expect(old.trace.entries.some((e) => e.name === 'pci_device_get_viommu_flags')).to.equal(false);
  });

  it('the vIOMMU refuses the hiod: "Failed to set vIOMMU: …" and everything is undone', () => {
    const s = new Scenario(PROFILE_UPSTREAM, undefined, [], { refuse: 'aw-bits 48 > host aw-bits 31' });
    expect(s.realizeError(A, 1)).to.equal('vfio 0000:01:00.0: Failed to set vIOMMU: aw-bits 48 > host aw-bits 31');
    expect(s.live()).to.deep.equal([]);
  });

  it('the memory listener is refused: "memory listener initialization failed: Region …" and everything is undone', () => {
    const s = new Scenario(PROFILE_UPSTREAM, undefined, [], { notifierError: 'no MAP notifier' });
    expect(s.realizeError(A, 1)).to.equal('vfio 0000:01:00.0: memory listener initialization failed: Region fake-iommu-region: no MAP notifier');
    expect(s.live()).to.deep.equal([]);
  });

  it('no VFIO cdev on the host: QEMU\'s getfd message', () => {
    const s = new Scenario(PROFILE_UPSTREAM, mockHost({ vfioCdev: false }));
    expect(s.realizeError(A, 1)).to.equal(
      'vfio 0000:01:00.0: vfio /sys/bus/pci/devices/0000:01:00.0/vfio-dev: couldn\'t open directory /sys/bus/pci/devices/0000:01:00.0/vfio-dev: No such file or directory',
    );
  });

  it('no /dev/iommu on the host: "Could not open \'/dev/iommu\'"', () => {
    const s = new Scenario(PROFILE_UPSTREAM, mockHost({ iommufd: false }));
    expect(s.realizeError(A, 1)).to.equal("vfio 0000:01:00.0: Could not open '/dev/iommu': No such file or directory");
    expect(s.live()).to.deep.equal([]);
  });

  it('hiod: caps from IOMMU_GET_HW_INFO per profile, get_cap, AW bits from the container ranges', () => {
    const up = new Scenario(PROFILE_UPSTREAM, mockHost({ devices: [mockDev(A, 'mock0', { pasidLog2: 20 })] }));
    up.realize(A, 1);
    const hiod = up.hiods.get(8)!;
    expect(hiod.isA(TYPE_HOST_IOMMU_DEVICE_IOMMUFD)).to.equal(true);
    expect(hiod.caps.type).to.equal(IOMMU_HW_INFO_TYPE_SELFTEST);
    expect(hiod.caps.max_pasid_log2).to.equal(20);
    expect(hiod.caps.vendor_caps).to.deep.equal({ type: IOMMU_HW_INFO_TYPE_SELFTEST, flags: 0, test_reg: 0xdeadbeef });
    expect(hiod.getCap!(HOST_IOMMU_DEVICE_CAP_IOMMU_TYPE)).to.equal(IOMMU_HW_INFO_TYPE_SELFTEST);
    expect(hiod.getCap!(HOST_IOMMU_DEVICE_CAP_AW_BITS)).to.equal(31); // MOCK_APERTURE_LAST = 2^31 - 1
    expect(() => hiod.getCap!(0x10)).to.throw('0000:01:00.0: unsupported capability 10');
    expect(hiod.getIovaRanges()).to.deep.equal([{ start: 1n << 24n, last: (1n << 31n) - 1n }]);
    expect(hiod.getPageSizeMask()).to.equal(2048n);
    const v100 = new Scenario(PROFILE_10_0, mockHost({ devices: [mockDev(A, 'mock0', { pasidLog2: 20 })] }));
    v100.realize(A, 1);
    expect(v100.hiods.get(8)!.caps.vendor_caps).to.equal(null);
    expect(v100.hiods.get(8)!.caps.max_pasid_log2).to.equal(0);
  });

  it('detach undoes a whole attach: two devices in, two out, nothing left', () => {
    const s = new Scenario(PROFILE_UPSTREAM, twoUnits());
    const a = s.realize(A, 1);
    const b = s.realize(B, 2);
    s.unrealize(a);
    expect(s.live()).to.not.deep.equal([]);
    s.unrealize(b);
    expect(s.live()).to.deep.equal([]);
  });

  it('detach: a failing DETACH is only reported; the kernel then refuses the DESTROYs (EBUSY), closing the fds frees all', () => {
    const s = new Scenario(PROFILE_UPSTREAM, undefined, [{ call: 'VFIO_DEVICE_DETACH_IOMMUFD_PT', errno: 'EIO' }]);
    const dev = s.realize(A, 1);
    s.unrealize(dev);
    const reports = s.trace.entries.filter((e) => e.name === 'error_report').map((e) => e.args?.['message']);
    expect(reports).to.deep.equal([
      'detach 0000:01:00.0 failed: Input/output error',
      'Failed to free id: 3 Device or resource busy', // the HWPT: the device is still attached
      'Failed to free id: 2 Device or resource busy', // the IOAS: the HWPT still uses it
    ]);
    expect(s.live()).to.deep.equal([]);
  });

  it('is deterministic: the same scenario twice gives the same trace, byte for byte', () => {
    const once = () => {
      const s = new Scenario(PROFILE_UPSTREAM, twoUnits(), [], { flags: ViommuFlag.WANT_NESTING_PARENT });
      s.unrealize(s.realize(A, 1));
      s.realize(B, 2);
      s.realize(C, 3);
      return JSON.stringify(s.trace.toJSON());
    };
    expect(once()).to.equal(once());
  });

  it('one container per address space: behind an emulated vIOMMU each device gets its own IOAS', () => {
    const s = new Scenario(PROFILE_UPSTREAM, twoUnits(), [], { perDeviceAs: true });
    s.realize(A, 1);
    const from = s.trace.entries.length;
    s.realize(C, 3);
    expect(s.callsSince(from)).to.include('IOMMU_IOAS_ALLOC');
    expect(s.live().filter((o) => o.startsWith('vfio-iommufd-container'))).to.have.length(2);
    expect(s.live().filter((o) => o.startsWith('ioas'))).to.have.length(2);
  });
});
