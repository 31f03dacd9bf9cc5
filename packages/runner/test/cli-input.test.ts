import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../src/commands/registry.js';
import { viommu } from './cli-helpers.js';

/** Exit 2 and exactly one line on stderr, no stack trace, nothing on stdout. */
function badInput(args: string[], line: string): void {
  const r = viommu(args);
  expect(r.code, r.err).to.equal(2);
  expect(r.err).to.equal(`${line}\n`);
  expect(r.err).not.to.match(/\n\s+at /);
}

describe('viommu: bad input is one clear line and exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'viommu-'));

  it('an unknown option of viommu', () => badInput(['check', '--hots', 'x'], "viommu: check: unknown option '--hots' (see viommu check --help)"));
  it('an unknown QEMU option (QEMU 7.2 prints "-foo: invalid option")', () =>
    badInput(['check', '--host', 'intel-001', '--', '-foo'], 'viommu: command line: -foo: invalid option'));
  it('a malformed keyval', () =>
    badInput(['check', '--host', 'intel-001', '--', '-device', 'intel-iommu,=on'], "viommu: command line: -device intel-iommu,=on: Invalid parameter '' in 'intel-iommu,=on'"));
  it('a missing host', () => badInput(['check', '--', '-machine', 'q35'], 'viommu: check: missing --host (a catalogue id, host profile, boot log or sysfs copy)'));
  it('a host that is nowhere', () => {
    const r = viommu(['check', '--host', 'no-such-host', '--', '-machine', 'q35']);
    expect(r.code).to.equal(2);
    expect(r.err.split('\n')).to.have.length(2);
    expect(r.err).to.match(/^viommu: host 'no-such-host': /);
  });
  it('XML that is not a domain', () => {
    writeFileSync(join(dir, 'net.xml'), "<network><name>default</name></network>");
    badInput(['check', '--host', 'intel-001', '--libvirt', join(dir, 'net.xml')], `viommu: ${join(dir, 'net.xml')}: not a libvirt domain (root element is <network>)`);
  });
  it('an unknown profile', () => badInput(['regs', '--qemu', '9.9', 'intel-iommu'], "viommu: regs: option '--qemu': '9.9' is not one of 7.2, 10.0, 10.2, upstream"));
  it('an unknown command', () => badInput(['chekc'], `viommu: unknown command 'chekc' (commands: ${Object.keys(COMMANDS).join(', ')})`));
  it('no VM at all', () => badInput(['check', '--host', 'intel-001'], 'viommu: check: no VM given: pass QEMU arguments after --, or --cmdline FILE, or --libvirt FILE'));
});

describe('viommu help', () => {
  it('prints each command\'s help from its definition', () => {
    const r = viommu(['check', '--help']);
    expect(r.code).to.equal(0);
    expect(r.out).to.match(/^viommu check — pre-flight check/);
    expect(r.out).to.contain('--host ID|FILE|DIR');
  });
  it('generates docs/cli.md from the same definitions (the committed file is current)', async () => {
    const { readFileSync } = await import('node:fs');
    const md = viommu(['help', '--markdown']).out;
    expect(readFileSync(new URL('../../../../docs/cli.md', import.meta.url), 'utf8')).to.equal(md);
  });
});
