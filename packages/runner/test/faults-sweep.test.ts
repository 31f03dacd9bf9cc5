import { KERNEL_SUBSYSTEM, type KernelSubsystem } from '@viommu/core';
import { expect } from 'chai';
import { expectedOutcome } from '../src/faults/expect.js';
import { suiteSweepScenarios } from '../src/faults/scenarios.js';
import { runWithFault, sweepScenario, sweepSummary, type SweepTotals } from '../src/faults/sweep.js';
import { Composition } from '../src/scenario/compose.js';

const totals = (): SweepTotals => ({ scenarios: 0, faults: 0, tolerated: 0, findings: [] });

describe('fault sweep', () => {
  it("QEMU's texts for a failing call (hw/vfio, backends/iommufd.c)", () => {
    const hwpt = expectedOutcome({ name: 'IOMMU_HWPT_ALLOC' }, '10.0', 'ENOMEM');
    expect('vfio 0000:01:00.0: Failed to allocate hwpt: Cannot allocate memory').to.match((hwpt as { endsWith: RegExp }).endsWith);
    const group = expectedOutcome({ name: 'open', path: '/dev/vfio/7' }, '7.2', 'EPERM') as { endsWith: RegExp };
    expect('vfio 0000:01:00.0: failed to open /dev/vfio/7: Operation not permitted').to.match(group.endsWith);
    const group10 = expectedOutcome({ name: 'open', path: '/dev/vfio/7' }, '10.0', 'EPERM') as { endsWith: RegExp };
    expect("vfio 0000:01:00.0: Could not open '/dev/vfio/7': Operation not permitted").to.match(group10.endsWith);
    expect('vfio 0000:01:00.0: failed to open /dev/vfio/7: Operation not permitted').not.to.match(group10.endsWith);
    expect(expectedOutcome({ name: 'IOMMU_IOAS_IOVA_RANGES' }, 'upstream', 'EINVAL')).to.deep.equal({ warns: 'Cannot get IOVA ranges: Invalid argument' });
    expect(expectedOutcome({ name: 'IOMMU_DESTROY' }, 'upstream', 'EBUSY')).to.equal('same');
    const viommu = expectedOutcome({ name: 'IOMMU_VIOMMU_ALLOC' }, 'upstream', 'ENOMEM') as { endsWith: RegExp };
    expect('vfio 0000:01:00.0: Failed to set vIOMMU: IOMMU_VIOMMU_ALLOC failed: Cannot allocate memory').to.match(viommu.endsWith);
    // smmuv3_accel_attach_gbpa_hwpt at system reset, the guest's STE installs: error_report, and the VM runs on
    const reports = (call: string, step: string, errno: 'EINVAL' | 'ENOMEM') => (expectedOutcome({ name: call, step }, 'upstream', errno) as { reports: RegExp }).reports;
    expect('Failed to attach all GBPA based HWPTs properly').to.match(reports('VFIO_DEVICE_ATTACH_IOMMUFD_PT', 'smmuv3_accel_reset', 'EINVAL'));
    expect('Failed to install all STEs properly').to.match(reports('IOMMU_VDEVICE_ALLOC', 'smmuv3_accel_install_ste_range', 'ENOMEM'));
    expect('Failed to allocate hwpt: Cannot allocate memory').to.match(reports('IOMMU_HWPT_ALLOC', 'smmuv3_cmdq_cfgi_ste', 'ENOMEM'));
    expect('[iommufd=4] error attach 0000:01:00.0 (21) to id=7: Invalid argument').to.match(reports('VFIO_DEVICE_ATTACH_IOMMUFD_PT', 'smmuv3_cmdq_cfgi_ste', 'EINVAL'));
    expect(() => expectedOutcome({ name: 'IOMMU_IOAS_UNMAP' }, 'upstream', 'EINVAL')).to.throw(/no QEMU outcome known/);
  });

  it('intel iommufd scenarios on 10.0: a fault at every kernel call, all clean', async () => {
    const comp = await Composition.create();
    const t = totals();
    for (const s of suiteSweepScenarios(comp, { vendors: ['intel'], backends: ['iommufd'], profiles: ['10.0'] })) sweepScenario(comp, s, t);
    expect(t.findings).to.deep.equal([]);
    expect(t.scenarios).to.be.greaterThan(10);
    expect(t.faults).to.be.greaterThan(t.scenarios * 10);
    expect(sweepSummary(t)).to.equal(`${t.faults} faults injected, 0 leaks, 0 crashes`);
  });

  it('arm legacy scenarios on 7.2: a fault at every kernel call, all clean', async () => {
    const comp = await Composition.create();
    const t = totals();
    for (const s of suiteSweepScenarios(comp, { vendors: ['arm'], backends: ['legacy'], profiles: ['7.2'] })) sweepScenario(comp, s, t);
    expect(t.findings).to.deep.equal([]);
    expect(t.faults).to.be.greaterThan(0);
  });

  it('arm-smmuv3 accel=on,ril=off upstream: faults in IOMMU_VIOMMU_ALLOC, the proxies, the GBPA attaches and the guest\'s IOMMU_VDEVICE_ALLOC, all clean', async () => {
    const comp = await Composition.create();
    const t = totals();
    const scenarios = suiteSweepScenarios(comp, { vendors: ['arm'], backends: ['iommufd'], profiles: ['upstream'] }).filter((s) =>
      s.id.startsWith('arm/accel=on,ril=off/'),
    );
    let reached = 0;
    for (const s of scenarios) {
      const calls = runWithFault(comp, s).calls;
      const at = calls.findIndex((c) => c.name === 'IOMMU_VIOMMU_ALLOC');
      if (at >= 0) {
        reached++;
        // smmuv3_accel_alloc_viommu: vIOMMU, abort and bypass proxies, the attach GBPA selects; smmuv3_accel_reset's
        // attach; then the guest: CFGI_ALL (the vDEVICE), CFGI_STE of its DMA domain (nested HWPT, attach)
        expect(calls.slice(at).map((c) => `${c.name} ${c.step}`)).to.deep.equal([
          'IOMMU_VIOMMU_ALLOC smmuv3_accel_set_iommu_device',
          'IOMMU_HWPT_ALLOC smmuv3_accel_set_iommu_device',
          'IOMMU_HWPT_ALLOC smmuv3_accel_set_iommu_device',
          'VFIO_DEVICE_ATTACH_IOMMUFD_PT smmuv3_accel_set_iommu_device',
          'VFIO_DEVICE_ATTACH_IOMMUFD_PT smmuv3_accel_reset',
          'IOMMU_VDEVICE_ALLOC smmuv3_accel_install_ste_range',
          'IOMMU_HWPT_ALLOC smmuv3_cmdq_cfgi_ste',
          'VFIO_DEVICE_ATTACH_IOMMUFD_PT smmuv3_cmdq_cfgi_ste',
        ]);
      }
      sweepScenario(comp, s, t);
    }
    expect(t.findings).to.deep.equal([]);
    expect(reached).to.be.greaterThan(0);
  });

  it('a kernel object that outlives a refused run is a leak', async () => {
    const base = await Composition.create();
    const stray: KernelSubsystem = { name: 'stray', open: () => undefined, liveObjects: () => [{ kind: 'ioas', id: 9 }] };
    const comp = Composition.of([...base.packages, { name: 'stray', version: '0', builtin: false, register: (c) => c.register(KERNEL_SUBSYSTEM, { useValue: stray }) }]);
    const [s] = suiteSweepScenarios(comp, { vendors: ['intel'], backends: ['legacy'], profiles: ['10.0'] });
    const t = totals();
    sweepScenario(comp, s!, t);
    const leaks = t.findings.filter((f) => f.kind === 'leak');
    expect(leaks.length).to.be.greaterThan(0);
    expect(leaks[0]!.detail).to.equal('0 registered, kernel holds ioas');
    expect(sweepSummary(t)).to.match(/^\d+ faults injected, [1-9]\d* leaks, 0 crashes$/);
  });

  it('the fault fires at the call it names, with its plausible errno', async () => {
    const comp = await Composition.create();
    const [s] = suiteSweepScenarios(comp, { vendors: ['intel'], backends: ['iommufd'], profiles: ['upstream'] });
    const clean = runWithFault(comp, s!);
    const i = clean.calls.findIndex((c) => c.name === 'IOMMU_HWPT_ALLOC');
    const r = runWithFault(comp, s!, { index: i + 1, call: clean.calls[i]! });
    expect(r.fired).to.deep.equal([i + 1]);
    expect(r.verdict!.refusal!.message).to.equal('vfio 0000:01:00.0: Failed to allocate hwpt: Cannot allocate memory');
    expect(r.verdict!.refusal!.errno).to.equal('ENOMEM');
    expect(r.live).to.deep.equal([]);
  });
});
