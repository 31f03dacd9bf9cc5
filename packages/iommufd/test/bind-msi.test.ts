import { IntelIommuDriver } from '@viommu/intel-vtd';
import { expect } from 'chai';
import type { HostIommuUnit, HostModel } from '@viommu/core';
import { Ctx, errnoOf, mockDev, mockHost, simKernel } from './helpers.js';

/** intel-067 (real-hosts.json): `DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap c9008020e30272 ecap 1000` — no ECAP.IR. */
const NO_IR: HostIommuUnit = { name: 'dmar0', vendor: 'intel', registers: { cap: 0xc9008020e30272n, ecap: 0x1000n } };
/** intel-068 (real-hosts.json): `cap f9ed008cee780c66 ecap 3fef9ea6f0efdf` — ECAP.IR, CAP bit 63 set. */
const IR: HostIommuUnit = { name: 'dmar0', vendor: 'intel', registers: { cap: 0xf9ed008cee780c66n, ecap: 0x3fef9ea6f0efdfn } };

function intelKernel(unit: HostIommuUnit, params?: Record<string, string>, cmdline = '') {
  const base = mockHost({ units: [unit], devices: [mockDev('0000:01:00.0', 'dmar0', { group: 7 }), mockDev('0000:01:00.1', 'dmar0', { group: 7 })] });
  const host: HostModel = { ...base, kernel: { ...base.kernel, cmdline, ...(params ? { params } : {}) } };
  return simKernel(host, [], [new IntelIommuDriver()]);
}

const bind = (unit: HostIommuUnit, params?: Record<string, string>, cmdline?: string) => {
  const k = intelKernel(unit, params, cmdline);
  const c = new Ctx(k);
  const devFd = k.open('/dev/vfio/devices/vfio0');
  return errnoOf(() => k.ioctl(devFd, 'VFIO_DEVICE_BIND_IOMMUFD', { flags: 0, iommufd: c.fd })) ?? 'ok';
};

describe('VFIO_DEVICE_BIND_IOMMUFD: iommufd_device_bind checks MSI isolation', () => {
  it('no interrupt remapping (intel-067, ECAP.IR clear): EPERM unless iommufd.allow_unsafe_interrupts', () => {
    expect(bind(NO_IR)).to.equal('EPERM');
    expect(bind(NO_IR, { 'iommufd.allow_unsafe_interrupts': 'N' })).to.equal('EPERM');
    expect(bind(NO_IR, { 'iommufd.allow_unsafe_interrupts': 'Y' })).to.equal('ok');
    // the type1 parameter is another module's: it does not let iommufd bind
    expect(bind(NO_IR, { 'vfio_iommu_type1.allow_unsafe_interrupts': 'Y' })).to.equal('EPERM');
  });

  it('interrupt remapping on (intel-068) binds; intremap=off on its command line makes it EPERM', () => {
    expect(bind(IR)).to.equal('ok');
    expect(bind(IR, undefined, 'intremap=off')).to.equal('EPERM');
  });

  it('a refused bind leaves the device unowned and no device object; an allowed one creates both', () => {
    const devices = (params?: Record<string, string>) => {
      const k = intelKernel(NO_IR, params);
      const c = new Ctx(k);
      const devFd = k.open('/dev/vfio/devices/vfio0');
      errnoOf(() => k.ioctl(devFd, 'VFIO_DEVICE_BIND_IOMMUFD', { flags: 0, iommufd: c.fd }));
      return [k.devices.get('0000:01:00.0')!.owner, k.liveObjects().filter((o) => o.kind === 'device').length];
    };
    expect(devices()).to.deep.equal([null, 0]);
    expect(devices({ 'iommufd.allow_unsafe_interrupts': '1' })).to.deep.equal(['cdev', 1]);
  });
});
