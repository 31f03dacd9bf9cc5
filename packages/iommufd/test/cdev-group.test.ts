import { expect } from 'chai';
import { Ctx, errnoOf, mockDev, mockHost, simKernel } from './helpers.js';

describe('VFIO_DEVICE_BIND_IOMMUFD: a group held through /dev/vfio/N (vfio_device_block_group)', () => {
  it('opening the cdev works; BIND is EBUSY, before the iommufd fd is even looked at', () => {
    const k = simKernel(mockHost({ devices: [mockDev('0000:01:00.0', 'mock0', { group: 7 }), mockDev('0000:01:00.1', 'mock0', { group: 7 })] }));
    const c = new Ctx(k);
    k.devices.get('0000:01:00.0')!.owner = 'group';
    const devFd = k.open('/dev/vfio/devices/vfio0');
    expect(errnoOf(() => k.ioctl(devFd, 'VFIO_DEVICE_BIND_IOMMUFD', { flags: 0, iommufd: c.fd }))).to.equal('EBUSY');
    expect(errnoOf(() => k.ioctl(devFd, 'VFIO_DEVICE_BIND_IOMMUFD', { flags: 0, iommufd: 999 }))).to.equal('EBUSY');
    // a sibling's cdev too: the group, not the device, is blocked
    const sibling = k.open('/dev/vfio/devices/vfio1');
    expect(errnoOf(() => k.ioctl(sibling, 'VFIO_DEVICE_BIND_IOMMUFD', { flags: 0, iommufd: c.fd }))).to.equal('EBUSY');
    expect(k.devices.get('0000:01:00.0')!.owner).to.equal('group');
  });
});
