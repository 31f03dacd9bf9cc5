import 'reflect-metadata';
import { expect } from 'chai';
import { findProfile, type HostModel } from '@viommu/core';
import { findHost } from '../src/hosts/index.js';
import { parseQemuArgs } from '../src/input/qemu-args.js';
import { Composition } from '../src/scenario/compose.js';
import { runScenario } from '../src/scenario/engine.js';

const VTD = ['-machine', 'q35', '-device', 'intel-iommu,caching-mode=on'];
const LEGACY = ['-device', 'vfio-pci,host=0000:01:00.0'];
const IOMMUFD = ['-object', 'iommufd,id=fd0', '-device', 'vfio-pci,host=0000:01:00.0,iommufd=fd0'];

async function run(host: HostModel, profile: string, args: string[]) {
  const p = findProfile(profile)!;
  return runScenario((await Composition.create()).scenario(host, p), parseQemuArgs(args), host, p);
}

const withParams = (host: HostModel, params: Record<string, string>): HostModel => ({ ...host, kernel: { ...host.kernel, params: { ...host.kernel.params, ...params } } });

describe('one device through both VFIO backends in one VM (group vs cdev exclusion)', () => {
  for (const profile of ['10.0', 'upstream']) {
    it(`${profile}: legacy vfio-pci first — the iommufd one's BIND is EBUSY (vfio_device_block_group)`, async () => {
      const v = await run(findHost('intel-068')!, profile, [...VTD, ...LEGACY, ...IOMMUFD]);
      // hw/vfio/iommufd.c iommufd_cdev_connect_and_bind: error_setg_errno(errp, errno, "error bind device fd=%d to iommufd=%d", …)
      expect(v.refusal?.message).to.match(/^vfio 0000:01:00\.0: error bind device fd=\d+ to iommufd=\d+: Device or resource busy$/);
      // the refused bind leaves no iommufd object; the legacy device keeps what it holds
      expect(v.kernelObjects.map((o) => o.kind)).to.deep.equal(['vfio-container', 'vfio-type1-domain', 'vfio-group', 'vfio-device']);
    });

    it(`${profile}: iommufd vfio-pci first — the legacy one cannot open its group (vfio_group_fops_open, cdev_device_open_cnt)`, async () => {
      const v = await run(findHost('intel-068')!, profile, [...VTD, ...IOMMUFD, ...LEGACY]);
      expect(v.refusal?.message).to.equal("vfio 0000:01:00.0: Could not open '/dev/vfio/0': Device or resource busy");
    });
  }
});

describe('MSI isolation end to end: intel-067 (DRHDs without ECAP.IR, real-hosts.json)', () => {
  const host = findHost('intel-067')!;
  // past the MSI check, the host's MGAW (CAP c9008020e30272: 36 bits) refuses next (vtd_check_hiod)
  const NEXT = 'vfio 0000:01:00.0: Failed to set vIOMMU: aw-bits 48 > host aw-bits 36';

  it('legacy VFIO: VFIO_SET_IOMMU is EPERM → "Failed to set iommu for container: Operation not permitted"', async () => {
    const v = await run(host, '10.0', [...VTD, ...LEGACY]);
    expect(v.refusal?.message).to.equal('vfio 0000:01:00.0: failed to setup container for group 0: Failed to set iommu for container: Operation not permitted');
    expect((await run(withParams(host, { 'vfio_iommu_type1.allow_unsafe_interrupts': 'Y' }), '10.0', [...VTD, ...LEGACY])).refusal?.message).to.equal(NEXT);
  });

  it('iommufd: BIND_IOMMUFD is EPERM → "error bind device …: Operation not permitted"; only iommufd.allow_unsafe_interrupts lifts it', async () => {
    const v = await run(host, '10.0', [...VTD, ...IOMMUFD]);
    expect(v.refusal?.message).to.match(/^vfio 0000:01:00\.0: error bind device fd=\d+ to iommufd=\d+: Operation not permitted$/);
    const type1Param = await run(withParams(host, { 'vfio_iommu_type1.allow_unsafe_interrupts': 'Y' }), '10.0', [...VTD, ...IOMMUFD]);
    expect(type1Param.refusal?.message).to.equal(v.refusal?.message);
    expect((await run(withParams(host, { 'iommufd.allow_unsafe_interrupts': 'Y' }), '10.0', [...VTD, ...IOMMUFD])).refusal?.message).to.equal(NEXT);
  });

  it('a host with interrupt remapping (intel-068) starts; intremap=off on its command line refuses', async () => {
    const h = findHost('intel-068')!;
    expect((await run(h, '10.0', [...VTD, ...IOMMUFD])).ok).to.equal(true);
    const off: HostModel = { ...h, kernel: { ...h.kernel, cmdline: `${h.kernel.cmdline} intremap=off` } };
    expect((await run(off, '10.0', [...VTD, ...LEGACY])).refusal?.message).to.match(/Failed to set iommu for container: Operation not permitted$/);
  });
});
