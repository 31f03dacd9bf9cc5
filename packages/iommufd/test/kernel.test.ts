import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_PASID, IOMMU_HWPT_FAULT_ID_VALID, IOMMU_VIOMMU_TYPE_SELFTEST } from '@viommu/core';
import { expect } from 'chai';
import { Ctx, errnoOf, mockDev, mockHost, simKernel } from './helpers.js';

describe('simulated /dev/iommu: kernel versions', () => {
  it('no /dev/iommu before 6.2 or without CONFIG_IOMMUFD: open → ENOENT', () => {
    expect(errnoOf(() => simKernel(mockHost({ release: '6.1.0' })).open('/dev/iommu'))).to.equal('ENOENT');
    expect(errnoOf(() => simKernel(mockHost({ iommufd: false })).open('/dev/iommu'))).to.equal('ENOENT');
  });

  it('no VFIO cdev before 6.6 or without CONFIG_VFIO_DEVICE_CDEV', () => {
    expect(errnoOf(() => simKernel(mockHost({ release: '6.5.0' })).open('/dev/vfio/devices/vfio0'))).to.equal('ENOENT');
    expect(errnoOf(() => simKernel(mockHost({ vfioCdev: false })).readdir('/sys/bus/pci/devices/0000:01:00.0/vfio-dev'))).to.equal('ENOENT');
  });

  it('6.5: IOMMU_HWPT_ALLOC and IOMMU_GET_HW_INFO are unknown ioctls (ENOTTY)', () => {
    const c = new Ctx(simKernel(mockHost({ release: '6.5.0' })));
    const ioas = c.ioasAlloc();
    expect(errnoOf(() => c.hwptAlloc(1, ioas, 0))).to.equal('ENOTTY');
    expect(errnoOf(() => c.k.ioctl(c.fd, 'IOMMU_GET_HW_INFO', { flags: 0, dev_id: 1, data_len: 0 }))).to.equal('ENOTTY');
  });

  it('6.6: DIRTY_TRACKING is an unknown flag (EOPNOTSUPP), out_capabilities is 0', () => {
    const c = new Ctx(simKernel(mockHost({ release: '6.6.0' })));
    const ioas = c.ioasAlloc();
    const { devId } = c.mockDomain(0, ioas);
    expect(errnoOf(() => c.hwptAlloc(devId, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING))).to.equal('EOPNOTSUPP');
    expect(c.k.ioctl(c.fd, 'IOMMU_GET_HW_INFO', { flags: 0, dev_id: devId, data_len: 0 }).out_capabilities).to.equal(0n);
    expect(errnoOf(() => c.k.ioctl(c.fd, 'IOMMU_HWPT_SET_DIRTY_TRACKING', { flags: 0, hwpt_id: 1 }))).to.equal('ENOTTY');
  });

  it('6.12: vIOMMU ioctls are ENOTTY, PASID flag EOPNOTSUPP; FAULT_ID_VALID with an unknown fault → ENOENT', () => {
    const c = new Ctx(simKernel(mockHost({ release: '6.12.38+deb13-amd64' })));
    const ioas = c.ioasAlloc();
    const { devId } = c.mockDomain(0, ioas);
    expect(errnoOf(() => c.k.ioctl(c.fd, 'IOMMU_VIOMMU_ALLOC', { flags: 0, type: IOMMU_VIOMMU_TYPE_SELFTEST, dev_id: devId, hwpt_id: 2 }))).to.equal('ENOTTY');
    expect(errnoOf(() => c.hwptAlloc(devId, ioas, IOMMU_HWPT_ALLOC_PASID))).to.equal('EOPNOTSUPP');
    expect(errnoOf(() => c.hwptAlloc(devId, ioas, IOMMU_HWPT_FAULT_ID_VALID, { fault_id: 77 }))).to.equal('ENOENT');
  });

  it('6.16: IOMMU_HW_INFO_FLAG_INPUT_TYPE is an unknown flag (EOPNOTSUPP)', () => {
    const c = new Ctx(simKernel(mockHost({ release: '6.16.0' })));
    const { devId } = c.mockDomain(0, c.ioasAlloc());
    expect(errnoOf(() => c.k.ioctl(c.fd, 'IOMMU_GET_HW_INFO', { flags: 1, dev_id: devId, data_len: 0, in_data_type: 0 }))).to.equal('EOPNOTSUPP');
  });

  it('6.15: out_max_pasid_log2 stays 0 on a PASID device', () => {
    const c = new Ctx(simKernel(mockHost({ release: '6.15.0', devices: [mockDev('0000:01:00.0', 'mock0', { pasidLog2: 20 })] })));
    const { devId } = c.mockDomain(0, c.ioasAlloc());
    expect(c.k.ioctl(c.fd, 'IOMMU_GET_HW_INFO', { flags: 0, dev_id: devId, data_len: 0 }).out_max_pasid_log2).to.equal(0);
  });
});

describe('simulated /dev/iommu: lifetimes', () => {
  it('an unbound cdev answers only BIND (EINVAL); a second bind → EINVAL; a non-iommufd fd → EBADFD', () => {
    const k = simKernel();
    const c = new Ctx(k);
    const devFd = k.open('/dev/vfio/devices/vfio0');
    expect(errnoOf(() => k.ioctl(devFd, 'VFIO_DEVICE_GET_INFO', undefined))).to.equal('EINVAL');
    const other = k.open('/dev/vfio/devices/vfio1');
    expect(errnoOf(() => k.ioctl(devFd, 'VFIO_DEVICE_BIND_IOMMUFD', { flags: 0, iommufd: other }))).to.equal('EBADFD');
    k.ioctl(devFd, 'VFIO_DEVICE_BIND_IOMMUFD', { flags: 0, iommufd: c.fd });
    expect(errnoOf(() => k.ioctl(devFd, 'VFIO_DEVICE_BIND_IOMMUFD', { flags: 0, iommufd: c.fd }))).to.equal('EINVAL');
    expect(k.ioctl(devFd, 'VFIO_DEVICE_GET_INFO', undefined).num_regions).to.equal(9);
  });

  it('a bound device is not destroyable (EBUSY) and keeps its context alive after /dev/iommu is closed', () => {
    const k = simKernel();
    const c = new Ctx(k);
    const ioas = c.ioasAlloc();
    const { devId } = c.mockDomain(0, ioas);
    expect(errnoOf(() => c.destroy(devId))).to.equal('EBUSY');
    k.close(c.fd);
    expect(k.liveObjects().map((o) => o.kind)).to.include.members(['device', 'ioas', 'hwpt_paging']);
    for (const fd of c.devFds.values()) k.close(fd);
    expect(k.liveObjects()).to.deep.equal([]);
  });

  it('closing the cdev unbinds: auto domain and vDEVICE go, user HWPTs stay until the context goes', () => {
    const k = simKernel();
    const c = new Ctx(k);
    const ioas = c.ioasAlloc();
    const { devId, hwptId } = c.mockDomain(0, ioas);
    const parent = c.hwptAlloc(devId, ioas, 1);
    const viommu = c.k.ioctl(c.fd, 'IOMMU_VIOMMU_ALLOC', { flags: 0, type: IOMMU_VIOMMU_TYPE_SELFTEST, dev_id: devId, hwpt_id: parent }).out_viommu_id;
    c.k.ioctl(c.fd, 'IOMMU_VDEVICE_ALLOC', { viommu_id: viommu, dev_id: devId, virt_id: 5n });
    k.close(c.devFds.get(devId)!);
    const kinds = k.liveObjects().filter((o) => !o.kind.startsWith('fd:'));
    expect(kinds.map((o) => `${o.kind}:${o.id}`)).to.deep.equal([`ioas:${ioas}`, `hwpt_paging:${parent}`, `viommu:${viommu}`]);
    expect(kinds.some((o) => o.id === hwptId)).to.equal(false);
    k.close(c.fd);
    expect(k.liveObjects()).to.deep.equal([]);
  });

  it('iommu_device_claim_dma_owner: a group held through VFIO or by another iommufd cannot bind (EBUSY)', () => {
    const host = mockHost({ devices: [mockDev('0000:01:00.0', 'mock0', { group: 7 }), mockDev('0000:01:00.1', 'mock0', { group: 7 })] });
    const k = simKernel(host);
    const c = new Ctx(k);
    k.devices.get('0000:01:00.1')!.owner = 'group';
    const devFd = k.open('/dev/vfio/devices/vfio0');
    expect(errnoOf(() => k.ioctl(devFd, 'VFIO_DEVICE_BIND_IOMMUFD', { flags: 0, iommufd: c.fd }))).to.equal('EBUSY');
    k.devices.get('0000:01:00.1')!.owner = null;
    const other = new Ctx(k);
    other.bind(1);
    expect(errnoOf(() => k.ioctl(devFd, 'VFIO_DEVICE_BIND_IOMMUFD', { flags: 0, iommufd: c.fd }))).to.equal('EBUSY');
    k.ioctl(devFd, 'VFIO_DEVICE_BIND_IOMMUFD', { flags: 0, iommufd: other.fd }); // same owner: fine
  });

  it('an IOVA with bit 63 set maps and unmaps as bigint', () => {
    const c = new Ctx(simKernel());
    const ioas = c.ioasAlloc();
    const iova = 0x8000_0000_0000_0000n;
    const out = c.k.ioctl(c.fd, 'IOMMU_IOAS_MAP', { flags: 7, ioas_id: ioas, user_va: 0n, length: 0x1000n, iova });
    expect(out.iova).to.equal(iova);
    expect(c.k.ioctl(c.fd, 'IOMMU_IOAS_UNMAP', { ioas_id: ioas, iova, length: 0x1000n }).length).to.equal(0x1000n);
  });
});

describe('simulated /dev/iommu: object ids', () => {
  it('ids come from one space per context, lowest free first (xa_alloc, XA_FLAGS_ALLOC1)', () => {
    const c = new Ctx(simKernel());
    const ioas = c.ioasAlloc();
    const { devId, hwptId } = c.mockDomain(0, ioas);
    expect([ioas, devId, hwptId]).to.deep.equal([1, 2, 3]);
    const h = c.hwptAlloc(devId, ioas, 0);
    expect(h).to.equal(4);
    c.destroy(h);
    expect(c.ioasAlloc()).to.equal(4);
  });

  it('a bound cdev answers a foreign ioctl with ENOTTY', () => {
    const c = new Ctx(simKernel());
    const devId = c.bind(0);
    expect(errnoOf(() => c.k.ioctl(c.devFds.get(devId)!, 'VFIO_GROUP_GET_STATUS', undefined))).to.equal('ENOTTY');
  });
});
