import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CLI, viommu } from './cli-helpers.js';
import { project } from './plugin-project.js';

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

  it('a -device model QEMU does not have is refused with its text, in command-line order (qemu-system-x86_64 7.2.22: -device intel-iommu,, / -device foo / -device arm-smmuv3 on q35)', () => {
    const r = viommu(['regs', '--qemu', '7.2', ...TCG, '--batch', '-'], 'intel-iommu,,\nfoo\narm-smmuv3\nintel-iommu,aw-bits=39\n');
    expect(r.out.split('\n').filter(Boolean).map((l) => JSON.parse(l))).to.deep.equal([
      { device: 'intel-iommu,,', error: "'intel-iommu,' is not a valid device model name" },
      { device: 'foo', error: "'foo' is not a valid device model name" },
      { device: 'arm-smmuv3', error: "'arm-smmuv3' is not a valid device model name" },
      { device: 'intel-iommu,aw-bits=39', registers: { ver: '0x10', cap: '0xd2008c22260206', ecap: '0xf00f4a' } },
    ]);
    expect(r.code).to.equal(1);
    const one = viommu(['regs', '--qemu', '7.2', ...TCG, 'intel-iommu,,']);
    expect(one.err).to.equal("qemu-system-x86_64: -device intel-iommu,,: 'intel-iommu,' is not a valid device model name\n");
    expect(one.code).to.equal(1);
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

describe('viommu regs: packages loaded for what the input names', () => {
  it('--machine with a vIOMMU of its own: the SMMU of virt,iommu=smmuv3 is there whatever -device names; qemu-system-aarch64 7.2 refuses intel-iommu', () => {
    const r = viommu(['regs', '--qemu', '7.2', '--machine', 'virt,iommu=smmuv3', '--accel', 'tcg', '--json', 'intel-iommu,aw-bits=39']);
    const [smmu, refusal] = r.out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(smmu.device).to.equal('-machine virt,iommu=smmuv3');
    expect(smmu.registers).to.include({ idr0: '0xd40101a', idr1: '0x2730010', idr3: '0x1404', idr5: '0x74' });
    // qemu-system-aarch64: -device intel-iommu,aw-bits=39: 'intel-iommu' is not a valid device model name
    expect(refusal).to.deep.equal({ device: 'intel-iommu,aw-bits=39', error: "'intel-iommu' is not a valid device model name" });
    expect(r.code).to.equal(1);
  });

  it('--batch -: a line naming a type no built-in has finds the third-party plugin in the working directory; the other lines still answer', () => {
    const r = spawnSync(process.execPath, [CLI, 'regs', '--qemu', '10.0', '--batch', '-'], { cwd: project(), input: 'intel-iommu\ntoy-iommu,x=1\n', encoding: 'utf8' });
    const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(lines[0].registers.cap).to.match(/^0x/);
    expect(lines[1]).to.deep.equal({ device: 'toy-iommu,x=1', error: 'toy-iommu is not modelled for QEMU 10.0 (its profiles: 10.2)' });
    expect(r.status).to.equal(2);
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

  it('--batch -: stdin is read before the packages load, so only the vIOMMUs its lines name load (no search of node_modules: a declared plugin in the working directory stays out)', () => {
    const hook = fileURLToPath(new URL('../../test/fixtures/loader/register.mjs', import.meta.url));
    const input = 'intel-iommu\n-device intel-iommu,aw-bits=48\n';
    const r = spawnSync(process.execPath, ['--import', hook, CLI, 'regs', '--qemu', '7.2', '--batch', '-'], { cwd: project(), input, encoding: 'utf8' });
    expect(r.status).to.equal(0);
    const loaded = r.stderr.split('\n').filter((l) => l.startsWith('loaded '));
    expect(loaded.some((l) => l.includes('/intel-vtd/'))).to.equal(true);
    for (const absent of ['/arm-smmuv3/', 'viommu-toy', 'node:fs']) {
      expect(loaded.filter((l) => l.includes(absent)), absent).to.deep.equal([]);
    }
  });

  it('stdin and stdout by descriptor: neither regs nor regs --batch loads Node\'s stream, net or tty modules', () => {
    const hook = fileURLToPath(new URL('../../test/fixtures/loader/builtins.mjs', import.meta.url));
    for (const [args, input] of [[['intel-iommu'], undefined], [['--batch', '-'], 'intel-iommu\nintel-iommu,aw-bits=48\n']] as const) {
      const r = spawnSync(process.execPath, ['--import', hook, CLI, 'regs', '--qemu', '7.2', ...args], { input, encoding: 'utf8' });
      expect(r.status, args.join(' ')).to.equal(0);
      const builtins = r.stderr.split('\n').filter((l) => l.startsWith('builtin ')).map((l) => l.slice('builtin '.length));
      expect(builtins, args.join(' ')).to.include('fs');
      expect(builtins.filter((b) => ['stream', 'net', 'tty', 'internal/streams/readable'].includes(b)), args.join(' ')).to.deep.equal([]);
    }
  });

  it('a reader that stops early (viommu regs … | head -1) ends the output quietly: no error, the exit status of the answers', async () => {
    const input = Array.from({ length: 4000 }, () => 'intel-iommu,aw-bits=39').join('\n');
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [CLI, 'regs', '--qemu', '7.2', '--batch', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    child.stdin.end(input);
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(err).to.equal('');
    expect(code).to.equal(0);
  });
});
