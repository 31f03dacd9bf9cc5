import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  findProfile,
  IOMMUFD_BACKEND_FACTORY,
  PCI_BRIDGE_ROLES,
  QemuError,
  VFIO_IOMMU_IOMMUFD,
  VIOMMU_PLUGIN,
  vfioPciRealize,
  vfioPciUnrealize,
  type HostModel,
} from '@viommu/core';
import { register as registerIommufd } from '@viommu/iommufd';
import { register as registerLegacyVfio } from '@viommu/legacy-vfio';
import { register as registerIntelVtd } from '@viommu/intel-vtd';
import { machineContext, realizeContext, wiredScenario } from '@viommu/test-vmm';
import { loadHost } from '../src/hosts/index.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/hosts');

/**
 * `-machine q35 -device intel-iommu,<options> -object iommufd,id=fd0
 *  -device pcie-root-port,id=rp0 -device vfio-pci,host=<bdf>,bus=rp0,iommufd=fd0` on QEMU 10.0,
 * against a host loaded the way `check --host <file>` loads it. Returns QEMU's message or 'ok'.
 */
function check(host: HostModel, options: string, bdf: string): string {
  const profile = findProfile('10.0')!;
  const { c, sim, kernel, trace } = wiredScenario(host, profile, [registerIommufd, registerLegacyVfio, registerIntelVtd]);
  const machine = machineContext('q35');
  const plugin = c.resolveAll(VIOMMU_PLUGIN).find((p) => p.manifest.typeName === 'intel-iommu')!;
  plugin.realize({ ...realizeContext('10.0', machine, options), trace });
  const port = machine.pci.plug({ typeName: 'pcie-root-port', id: 'rp0', bus: machine.rootBus, devfn: 0x10, role: PCI_BRIDGE_ROLES['pcie-root-port'] });
  const pdev = machine.pci.plug({ typeName: 'vfio-pci', bus: port.secondaryBus!, devfn: 0 });
  const iommufd = c.resolve(IOMMUFD_BACKEND_FACTORY).create('fd0');
  try {
    const dev = vfioPciRealize({ host: bdf, pdev, backend: c.resolve(VFIO_IOMMU_IOMMUFD), iommufd, kernel, profile, addressSpaceMemory: machine.addressSpaceMemory, trace });
    vfioPciUnrealize(dev, profile);
    expect(sim.liveObjects().filter((o) => !o.kind.startsWith('fd:'))).to.deep.equal([]);
    return 'ok';
  } catch (e) {
    if (e instanceof QemuError) {
      expect(sim.liveObjects().filter((o) => !o.kind.startsWith('fd:'))).to.deep.equal([]);
      return e.message;
    }
    throw e;
  }
}

describe('check --host <imported file>: a check runs on a host read from a real boot log', () => {
  it('ThinkPad W520 (intel-001 log): the assumed device behind dmar1 (MGAW 39) refuses the default aw-bits=48', async () => {
    const host = await loadHost(join(FIXTURES, 'intel-001.dmesg.txt'));
    expect(host.devices.find((d) => d.bdf === '0000:02:00.0')!.unit).to.equal('dmar1');
    // vtd_check_hiod (hw/i386/intel_iommu.c, 10.0): "aw-bits %d > host aw-bits %d", prefixed by vfio_pci_realize
    expect(check(host, 'caching-mode=on', '0000:02:00.0')).to.equal('vfio 0000:02:00.0: Failed to set vIOMMU: aw-bits 48 > host aw-bits 39');
    expect(check(host, 'caching-mode=on,aw-bits=39', '0000:02:00.0')).to.equal('ok');
  });

  it('Dell PowerEdge R770 (intel-068 log, cap bit 63 set): aw-bits=48 fits its 57-bit units', async () => {
    const host = await loadHost(join(FIXTURES, 'intel-068.dmesg.txt'));
    expect(check(host, 'caching-mode=on', '0000:01:00.0')).to.equal('ok');
  });

  describe('through the viommu CLI', () => {
    const CLI = join(dirname(fileURLToPath(import.meta.url)), '../bundle/cli.js');
    const QEMU = ['--qemu', '10.0', '--', '-machine', 'q35', '-device', 'intel-iommu,caching-mode=on', '-object', 'iommufd,id=fd0', '-device', 'pcie-root-port,id=rp0'];
    const viommu = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'viommu-check-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("hosts import writes a profile that check --host takes; a log works directly; QEMU's refusal exits 1", () => {
      const imported = viommu(['hosts', 'import', join(FIXTURES, 'intel-001.dmesg.txt')]);
      expect(imported.status).to.equal(0);
      const profile = join(dir, 'w520.json');
      writeFileSync(profile, imported.stdout);
      for (const host of [profile, join(FIXTURES, 'intel-001.dmesg.txt')]) {
        const refused = viommu(['check', '--host', host, ...QEMU, '-device', 'vfio-pci,host=0000:02:00.0,bus=rp0,iommufd=fd0']);
        expect(refused.status, host).to.equal(1);
        expect(refused.stdout + refused.stderr, host).to.include('vfio 0000:02:00.0: Failed to set vIOMMU: aw-bits 48 > host aw-bits 39');
      }
      const ok = viommu(['check', '--host', join(FIXTURES, 'intel-068.dmesg.txt'), ...QEMU, '-device', 'vfio-pci,host=0000:01:00.0,bus=rp0,iommufd=fd0']);
      expect(ok.status).to.equal(0);
    });
  });
});
