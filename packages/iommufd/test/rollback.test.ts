import { PROFILE_10_0, PROFILE_UPSTREAM } from '@viommu/core';
import { expect } from 'chai';
import { mockDev, mockHost } from './helpers.js';
import { Scenario } from './vmm-helpers.js';

const A = '0000:01:00.0';
const C = '0000:03:00.0';
const host = () => mockHost({ devices: [mockDev(A), mockDev('0000:02:00.0'), mockDev(C)] });
const EIO = 'Input/output error';
const sysfs = (bdf: string) => `/sys/bus/pci/devices/${bdf}`;
const getfd = (bdf: string) => `vfio ${bdf}: vfio ${sysfs(bdf)}/vfio-dev: `;

/**
 * For an attach that makes K kernel calls, fail call i (1..K) with EIO: QEMU's message for
 * that step (or, where QEMU tolerates the failure, a working device), and afterwards no
 * kernel object and no VFIO container beyond what existed before.
 */
describe('rollback: a fault at every kernel call of an attach (upstream profile)', () => {
  const fresh: [string, string | null][] = [
    ['readlink', `vfio ${sysfs(A)}: no such host device: ${EIO}`],
    ['readdir', `${getfd(A)}couldn't open directory ${sysfs(A)}/vfio-dev: ${EIO}`],
    ['read', `${getfd(A)}failed to load "${sysfs(A)}/vfio-dev/vfio0/dev"`],
    ['open', `${getfd(A)}Failed to open /dev/vfio/devices/vfio0`],
    ['open', `vfio ${A}: Could not open '/dev/iommu': ${EIO}`],
    ['VFIO_DEVICE_BIND_IOMMUFD', `vfio ${A}: error bind device fd=3 to iommufd=4: ${EIO}`],
    ['IOMMU_IOAS_ALLOC', `vfio ${A}: Failed to allocate ioas: ${EIO}`],
    ['IOMMU_GET_HW_INFO', `vfio ${A}: Failed to get hardware info: ${EIO}`],
    ['IOMMU_HWPT_ALLOC', `vfio ${A}: Failed to allocate hwpt: ${EIO}`],
    ['VFIO_DEVICE_ATTACH_IOMMUFD_PT', `vfio ${A}: [iommufd=4] error attach ${A} (3) to id=3: ${EIO}`],
    ['IOMMU_IOAS_IOVA_RANGES', null], // warning only: "Cannot get IOVA ranges"
    ['IOMMU_IOAS_IOVA_RANGES', null],
    ['VFIO_DEVICE_GET_INFO', `vfio ${A}: error getting device info: ${EIO}`],
    ['IOMMU_GET_HW_INFO', `vfio ${A}: Failed to get hardware info: ${EIO}`],
  ];

  it(`a fresh device makes ${fresh.length} kernel calls, in this order`, () => {
    const s = new Scenario(PROFILE_UPSTREAM, host());
    s.realize(A, 1);
    expect(s.kernel.faults.calls).to.equal(fresh.length);
    expect(s.callsSince()).to.deep.equal(fresh.map(([call]) => call));
  });

  fresh.forEach(([call, message], i) => {
    it(`fresh device, call ${i + 1} (${call}) fails → ${message ?? 'tolerated'}, 0 live objects`, () => {
      const s = new Scenario(PROFILE_UPSTREAM, host(), [{ atCall: i + 1, errno: 'EIO' }]);
      if (message) {
        expect(s.realizeError(A, 1)).to.equal(message);
      } else {
        const dev = s.realize(A, 1);
        const warn = s.trace.entries.find((e) => e.name === 'warn_report');
        expect(warn?.args?.['message']).to.equal(`Cannot get IOVA ranges: ${EIO}`);
        expect(dev.attached.hiod!.getIovaRanges()).to.deep.equal([]);
        expect(dev.attached.hiod!.getPageSizeMask()).to.equal(4096n);
        s.unrealize(dev);
      }
      expect(s.kernel.faults.fired.map((f) => f.call)).to.deep.equal([call]);
      expect(s.live()).to.deep.equal([]);
    });
  });

  const joining: [string, string | null][] = [
    ['readlink', `vfio ${sysfs(C)}: no such host device: ${EIO}`],
    ['readdir', `${getfd(C)}couldn't open directory ${sysfs(C)}/vfio-dev: ${EIO}`],
    ['read', `${getfd(C)}failed to load "${sysfs(C)}/vfio-dev/vfio2/dev"`],
    ['open', `${getfd(C)}Failed to open /dev/vfio/devices/vfio2`],
    ['VFIO_DEVICE_BIND_IOMMUFD', `vfio ${C}: error bind device fd=5 to iommufd=4: ${EIO}`],
    ['VFIO_DEVICE_ATTACH_IOMMUFD_PT', null], // swallowed: a new container is tried, and works
    ['VFIO_DEVICE_GET_INFO', `vfio ${C}: error getting device info: ${EIO}`],
    ['IOMMU_GET_HW_INFO', `vfio ${C}: Failed to get hardware info: ${EIO}`],
  ];

  joining.forEach(([call, message], i) => {
    it(`device joining A's container, call ${i + 1} (${call}) fails → ${message ?? 'new container'}, A's objects only`, () => {
      const s = new Scenario(PROFILE_UPSTREAM, host(), [{ atCall: fresh.length + i + 1, errno: 'EIO' }]);
      s.realize(A, 1);
      const before = s.live();
      if (message) {
        expect(s.realizeError(C, 3)).to.equal(message);
      } else {
        const dev = s.realize(C, 3);
        expect(s.live().filter((o) => o.startsWith('vfio-iommufd-container'))).to.have.length(2);
        s.unrealize(dev);
      }
      expect(s.kernel.faults.fired.map((f) => f.call)).to.deep.equal([call]);
      expect(s.live()).to.deep.equal(before);
    });
  });

  describe('10.0: the hiod is realized right after bind', () => {
    const v100: [string, string | null][] = [
      ...fresh.slice(0, 6),
      ['IOMMU_GET_HW_INFO', `vfio ${A}: Failed to get hardware info: ${EIO}`],
      ['IOMMU_IOAS_ALLOC', `vfio ${A}: Failed to allocate ioas: ${EIO}`],
      ['IOMMU_HWPT_ALLOC', `vfio ${A}: Failed to allocate hwpt: ${EIO}`],
      ['VFIO_DEVICE_ATTACH_IOMMUFD_PT', `vfio ${A}: [iommufd=4] error attach ${A} (3) to id=3: ${EIO}`],
      ['IOMMU_IOAS_IOVA_RANGES', null],
      ['IOMMU_IOAS_IOVA_RANGES', null],
      ['VFIO_DEVICE_GET_INFO', `vfio ${A}: error getting device info: ${EIO}`],
    ];

    it(`a fresh device makes ${v100.length} kernel calls, in this order`, () => {
      const s = new Scenario(PROFILE_10_0, host());
      s.realize(A, 1);
      expect(s.callsSince()).to.deep.equal(v100.map(([call]) => call));
    });

    v100.forEach(([call, message], i) => {
      it(`call ${i + 1} (${call}) fails → ${message ?? 'tolerated'}, 0 live objects`, () => {
        const s = new Scenario(PROFILE_10_0, host(), [{ atCall: i + 1, errno: 'EIO' }]);
        if (message) expect(s.realizeError(A, 1)).to.equal(message);
        else s.unrealize(s.realize(A, 1));
        expect(s.kernel.faults.fired.map((f) => f.call)).to.deep.equal([call]);
        expect(s.live()).to.deep.equal([]);
      });
    });
  });
});
