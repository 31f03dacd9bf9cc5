import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '../bundle/cli.js');
const FIX = join(here, '../../test/fixtures/fleet');
const viommu = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

/*
 * The hosts of fixtures/fleet/hosts.jsonl, one profile per file. mgaw57-a and mgaw57-b have
 * the same dmar0 (CAP.MGAW 0x38: 57 bits); mgaw39's dmar0 has CAP.MGAW 0x26 (39 bits);
 * no-cdev has no /dev/iommu. intel-iommu's registers come from its properties only, so they
 * are the same on every host.
 */
describe('viommu migrate (CLI)', () => {
  let dir: string;
  const host = (id: string) => join(dir, `${id}.json`);
  const VM = ['-machine', 'q35,kernel-irqchip=split', '-accel', 'kvm', '-device', 'intel-iommu,caching-mode=on', '-device', 'vfio-pci,host=0000:01:00.0'];
  const IOMMUFD_VM = ['-machine', 'q35,kernel-irqchip=split', '-accel', 'kvm', '-device', 'intel-iommu,caching-mode=on', '-object', 'iommufd,id=fd0', '-device', 'vfio-pci,host=0000:01:00.0,iommufd=fd0'];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'viommu-migrate-'));
    for (const line of readFileSync(join(FIX, 'hosts.jsonl'), 'utf8').split('\n').filter(Boolean)) {
      const h = JSON.parse(line) as { id: string };
      writeFileSync(host(h.id), line);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('moves between hosts equal in what the VM reads (exit 0)', () => {
    const r = viommu('migrate', '--from', host('mgaw57-a'), '--to', host('mgaw57-b'), '--qemu', '10.0', '--', ...VM);
    expect(r.stdout).to.equal('MIGRATABLE: mgaw57-a → mgaw57-b (QEMU 10.0): 1 vIOMMU with identical registers and flags; mgaw57-b passes every check mgaw57-a passes\n');
    expect(r.status).to.equal(0);
  });

  it('names the check the destination fails: a 39-bit host under a 48-bit vIOMMU (exit 1)', () => {
    const r = viommu('migrate', '--from', host('mgaw57-a'), '--to', host('mgaw39'), '--qemu', '10.0', '--', ...VM);
    expect(r.status).to.equal(1);
    expect(r.stdout).to.equal(
      'NOT MIGRATABLE: mgaw57-a → mgaw39 (QEMU 10.0)\n' +
        '  mgaw39 fails a check mgaw57-a passes (set-iommu-device): qemu-system-x86_64: -device vfio-pci,host=0000:01:00.0: vfio 0000:01:00.0: Failed to set vIOMMU: aw-bits 48 > host aw-bits 39\n',
    );
  });

  it('says when the VM does not start on the source', () => {
    const r = viommu('migrate', '--from', host('mgaw39'), '--to', host('mgaw57-a'), '--qemu', '10.0', '--json', '--', ...VM);
    expect(r.status).to.equal(1);
    const j = JSON.parse(r.stdout);
    expect(j.ok).to.equal(false);
    expect(j.problems.map((p: { kind: string }) => p.kind)).to.deep.equal(['source-refused']);
  });

  it('a kernel without VFIO cdevs fails the iommufd backend only (errno kept)', () => {
    const r = viommu('migrate', '--from', host('mgaw57-a'), '--to', host('no-cdev'), '--qemu', '10.0', '--json', '--', ...IOMMUFD_VM);
    expect(r.status).to.equal(1);
    const [p] = JSON.parse(r.stdout).problems;
    expect(p).to.include({ kind: 'destination-refused', stage: 'vfio-attach', errno: 'ENOENT' });
    expect(viommu('migrate', '--from', host('mgaw57-a'), '--to', host('no-cdev'), '--qemu', '10.0', '--', ...VM).status).to.equal(0);
  });

  it('names each guest-visible register that differs across QEMU versions (10.0 → 7.2)', () => {
    // CAP of intel-iommu,caching-mode=on: QEMU 7.2 (Debian binary, qtest readq 0xfed90008)
    // answers 0xd2008c22260286, MGAW 0x26 and SAGAW 0x2 (39-bit, its default aw-bits); 10.0's
    // default aw-bits is 48: MGAW 0x2f and SAGAW 0x6 (39 and 48), the other bits unchanged.
    const r = viommu('migrate', '--from', host('mgaw57-a'), '--to', host('mgaw57-b'), '--qemu', '10.0', '--to-qemu', '7.2', '--', ...VM);
    expect(r.status).to.equal(1);
    expect(r.stdout).to.equal(
      'NOT MIGRATABLE: mgaw57-a → mgaw57-b (QEMU 10.0 → 7.2)\n' +
        '  intel-iommu register cap differs: 0xd2008c222f0686 on mgaw57-a, 0xd2008c22260286 on mgaw57-b\n',
    );
  });

  it('refuses a missing --to with exit 2', () => {
    const r = viommu('migrate', '--from', 'intel-001', '--', ...VM);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.equal('viommu: migrate: missing --to (the destination host)\n');
  });
});
