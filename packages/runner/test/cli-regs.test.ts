import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CLI, viommu } from './cli-helpers.js';

const TCG = ['--accel', 'tcg', '--machine', 'q35,kernel-irqchip=split'];

describe('viommu regs', () => {
  it('--batch -: one JSON line per device, in order; values read from qemu-system-x86_64 7.2 with qtest (readq 0xfed90008/0xfed90010)', () => {
    const r = viommu(['regs', '--qemu', '7.2', ...TCG, '--batch', '-'], 'intel-iommu\nintel-iommu,aw-bits=48,caching-mode=on\nintel-iommu,aw-bits=47\n');
    expect(r.out.split('\n').filter(Boolean).map((l) => JSON.parse(l))).to.deep.equal([
      { device: 'intel-iommu', registers: { ver: '0x10', cap: '0xd2008c22260206', ecap: '0xf00f4a' } },
      { device: 'intel-iommu,aw-bits=48,caching-mode=on', registers: { ver: '0x10', cap: '0xd2008c222f0686', ecap: '0xf00f4a' } },
      // qemu-system-x86_64: -device intel-iommu,aw-bits=47: Supported values for aw-bits are: 39, 48
      { device: 'intel-iommu,aw-bits=47', error: 'Supported values for aw-bits are: 39, 48' },
    ]);
    expect(r.code).to.equal(1);
  });

  it('--batch -: a line that is no vIOMMU gets its own error line, the others still answer, exit 2', () => {
    const r = viommu(['regs', '--qemu', '7.2', ...TCG, '--batch', '-'], 'intel-iommu\nvirtio-net-pci\nintel-iommu,aw-bits=39\n');
    const lines = r.out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(lines.map((l) => l.device)).to.deep.equal(['intel-iommu', 'virtio-net-pci', 'intel-iommu,aw-bits=39']);
    expect(lines[1]).to.deep.equal({ device: 'virtio-net-pci', error: 'regs: the configuration creates no vIOMMU' });
    expect(lines[2].registers.cap).to.equal('0xd2008c22260206');
    expect(r.code).to.equal(2);
  });

  it('keeps bit 63: 10.2 sets CAP.ESRTPS (hw/i386/intel_iommu.c vtd_cap_init, VTD_CAP_ESRTPS = 1ULL << 63)', () => {
    const r = viommu(['regs', '--qemu', '10.2', ...TCG, '--json', 'intel-iommu']);
    expect(JSON.parse(r.out).registers.cap).to.equal('0x80d2008c222f0606');
    expect(BigInt(JSON.parse(r.out).registers.cap) >> 63n).to.equal(1n);
  });

  it('-- <qemu args>: every vIOMMU the machine creates; 7.2 virt,iommu=smmuv3 as qemu-system-aarch64 7.2 reads it (readl 0x09050000…)', () => {
    const r = viommu(['regs', '--qemu', '7.2', '--json', '--', '-machine', 'virt,iommu=smmuv3', '-accel', 'tcg']);
    const line = JSON.parse(r.out);
    expect(line.device).to.equal('-machine virt,iommu=smmuv3');
    expect(line.registers).to.include({ idr0: '0xd40101a', idr1: '0x2730010', idr3: '0x1404', idr5: '0x74' });
  });

  it('text output names the machine and profile; a refusal is QEMU\'s full line on stderr', () => {
    const ok = viommu(['regs', '--qemu', '7.2', ...TCG, 'intel-iommu']);
    expect(ok.out.split('\n').slice(0, 4)).to.deep.equal(['intel-iommu (qemu-system-x86_64 pc-q35-7.2, profile 7.2)', '  ver   0x10', '  cap   0xd2008c22260206', '  ecap  0xf00f4a']);
    const bad = viommu(['regs', '--qemu', '7.2', ...TCG, 'intel-iommu,aw-bits=47']);
    expect(bad.code).to.equal(1);
    expect(bad.err).to.equal('qemu-system-x86_64: -device intel-iommu,aw-bits=47: Supported values for aw-bits are: 39, 48\n');
  });
});

describe('viommu regs start-up', () => {
  it('loads only the asked vIOMMU package: no tsyringe, reflect-metadata, ajv, scenario engine or other vendor', () => {
    const hook = fileURLToPath(new URL('../../test/fixtures/loader/register.mjs', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', hook, CLI, 'regs', 'intel-iommu'], { encoding: 'utf8' });
    expect(r.status).to.equal(0);
    const loaded = r.stderr.split('\n').filter((l) => l.startsWith('loaded '));
    expect(loaded.some((l) => l.includes('/intel-vtd/'))).to.equal(true);
    for (const absent of ['tsyringe', 'reflect-metadata', '/ajv/', '/arm-smmuv3/', '/iommufd/dist', '/legacy-vfio/', '/scenario/engine.js', '/scenario/compose.js']) {
      expect(loaded.filter((l) => l.includes(absent)), absent).to.deep.equal([]);
    }
  });
});
