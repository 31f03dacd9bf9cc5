import 'reflect-metadata';
import { expect } from 'chai';
import { findProfile, HOST_MODEL, IOMMU_DRIVER, KERNEL_OBJECTS, KERNEL_SUBSYSTEM, KERNEL_UAPI, TRACE, VFIO_IOMMU_LEGACY, VIOMMU_PLUGIN } from '@viommu/core';
import { findHost } from '../src/hosts/index.js';
import { parseQemuArgs } from '../src/input/qemu-args.js';
import { Composition } from '../src/scenario/compose.js';
import { runScenario } from '../src/scenario/engine.js';

const ARGS = ['-machine', 'q35', '-device', 'intel-iommu,caching-mode=on', '-object', 'iommufd,id=fd0', '-device', 'vfio-pci,host=0000:01:00.0,iommufd=fd0'];

describe('composition: one child container per scenario, nothing shared', () => {
  it('each scenario has its own trace, kernel and host; the root holds none of them', async () => {
    const comp = await Composition.create();
    const profile = findProfile('10.0')!;
    const a = comp.scenario(findHost('intel-068')!, profile);
    const b = comp.scenario(findHost('intel-001')!, profile);
    expect(a.resolve(TRACE)).not.to.equal(b.resolve(TRACE));
    expect(a.resolve(KERNEL_UAPI)).not.to.equal(b.resolve(KERNEL_UAPI));
    expect(a.resolve(HOST_MODEL).id).to.equal('intel-068');
    expect(b.resolve(HOST_MODEL).id).to.equal('intel-001');
    for (const t of [TRACE, KERNEL_UAPI, HOST_MODEL, KERNEL_OBJECTS] as symbol[]) expect(comp.root.isRegistered(t, true)).to.equal(false);
  });

  it('packages register once: plugins and drivers are shared and frozen, subsystems and backends are per scenario', async () => {
    const comp = await Composition.create();
    const profile = findProfile('10.0')!;
    const a = comp.scenario(findHost('intel-068')!, profile);
    const b = comp.scenario(findHost('intel-068')!, profile);
    const [pa, pb] = [a.resolveAll(VIOMMU_PLUGIN), b.resolveAll(VIOMMU_PLUGIN)];
    expect(pa.map((p) => p.manifest.typeName)).to.include('intel-iommu');
    expect(pa).to.deep.equal(pb);
    pa.forEach((p, i) => expect(p).to.equal(pb[i]));
    for (const v of [...pa, ...a.resolveAll(IOMMU_DRIVER)]) expect(Object.isFrozen(v)).to.equal(true);
    expect(a.resolve(VFIO_IOMMU_LEGACY)).not.to.equal(b.resolve(VFIO_IOMMU_LEGACY));
    const [sa, sb] = [a.resolveAll(KERNEL_SUBSYSTEM), b.resolveAll(KERNEL_SUBSYSTEM)];
    expect(sa.map((s) => s.name)).to.deep.equal(['iommufd', 'vfio-type1']);
    sa.forEach((s, i) => expect(s).not.to.equal(sb[i]));
    for (const t of [VIOMMU_PLUGIN, KERNEL_SUBSYSTEM] as symbol[]) expect(comp.root.isRegistered(t, true)).to.equal(false);
  });

  it('a scenario run after others gives the same trace as on a fresh composition (ids, fds, state do not leak)', async () => {
    const profile = findProfile('10.0')!;
    const host = findHost('intel-068')!;
    const run = (comp: Composition) => {
      const v = runScenario(comp.scenario(host, profile), parseQemuArgs(ARGS), host, profile);
      return { ok: v.ok, trace: v.trace.format(), objects: v.kernelObjects };
    };
    const shared = await Composition.create();
    const first = run(shared);
    runScenario(shared.scenario(findHost('intel-001')!, profile), parseQemuArgs(ARGS), findHost('intel-001')!, profile);
    const again = run(shared);
    const fresh = run(await Composition.create());
    expect(first.ok).to.equal(true);
    expect(again).to.deep.equal(first);
    expect(fresh).to.deep.equal(first);
    expect(first.trace).to.contain('IOMMU_HWPT_ALLOC');
  });

  it('a refused attach leaves no kernel object behind', async () => {
    const profile = findProfile('10.0')!;
    const host = findHost('intel-001')!; // MGAW 39 < default aw-bits 48
    const args = ['-machine', 'q35', '-device', 'intel-iommu,caching-mode=on', '-object', 'iommufd,id=fd0', '-device', 'vfio-pci,host=0000:02:00.0,iommufd=fd0'];
    const v = runScenario((await Composition.create()).scenario(host, profile), parseQemuArgs(args), host, profile);
    expect(v.refusal?.message).to.equal('vfio 0000:02:00.0: Failed to set vIOMMU: aw-bits 48 > host aw-bits 39');
    expect(v.kernelObjects).to.deep.equal([]);
  });
});
