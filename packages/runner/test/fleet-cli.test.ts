import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findProfile } from '@viommu/core';
import { decisionKey, fleetToJson, loadFleetHosts, loadShapes, planFleet, vmShape } from '../src/fleet/index.js';
import { listHosts } from '../src/hosts/index.js';
import { parseQemuArgs } from '../src/input/qemu-args.js';
import { Composition } from '../src/scenario/compose.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '../bundle/cli.js');
const FIX = join(here, '../../test/fixtures/fleet');
const viommu = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

/*
 * fixtures/fleet/hosts.jsonl: four VT-d hosts, device 0000:01:00.0 behind dmar0, 0000:02:00.0
 * behind dmar1. CAP.MGAW (bits 21:16) of dmar0: 0x38 → 57-bit on mgaw57-a/-b and no-cdev,
 * 0x26 → 39-bit on mgaw39. QEMU 10.0 refuses a 48-bit intel-iommu on a host narrower than 48
 * bits (vtd_check_hiod: "aw-bits %d > host aw-bits %d"). no-cdev has no /dev/iommu and no
 * VFIO cdevs, so the iommufd backend cannot open the device's vfio-dev directory
 * (iommufd_cdev_get_cdev); the legacy container still works. aw-bits=39 fits every host.
 */
const AW = (dev: string) => `qemu-system-x86_64: -device ${dev}: vfio 0000:01:00.0: Failed to set vIOMMU: aw-bits 48 > host aw-bits 39`;
const NO_CDEV =
  'qemu-system-x86_64: -device vfio-pci,host=0000:01:00.0,iommufd=fd0: vfio 0000:01:00.0: vfio /sys/bus/pci/devices/0000:01:00.0/vfio-dev: couldn\'t open directory /sys/bus/pci/devices/0000:01:00.0/vfio-dev: No such file or directory';

describe('viommu fleet (CLI)', () => {
  const args = ['fleet', '--hosts', join(FIX, 'hosts.jsonl'), '--vms', join(FIX, 'shapes.jsonl'), '--qemu', '10.0'];

  it('places every shape, refusals grouped by QEMU\'s reason (derived from CAP.MGAW and the kernel nodes)', () => {
    const r = viommu(...args, '--json');
    expect(r.stderr).to.equal('');
    expect(r.status).to.equal(0);
    const j = JSON.parse(r.stdout);
    expect(j).to.include({ profile: '10.0', hosts: 4, classes: 4, scenarios: 9 });
    expect(j.placements).to.deep.equal([
      {
        shape: 'legacy',
        accepted: ['mgaw57-a', 'mgaw57-b', 'no-cdev'],
        refused: [{ reason: AW('vfio-pci,host=0000:01:00.0'), stage: 'set-iommu-device', hosts: ['mgaw39'] }],
      },
      {
        shape: 'iommufd',
        accepted: ['mgaw57-a', 'mgaw57-b'],
        refused: [
          { reason: AW('vfio-pci,host=0000:01:00.0,iommufd=fd0'), stage: 'set-iommu-device', hosts: ['mgaw39'] },
          { reason: NO_CDEV, stage: 'vfio-attach', errno: 'ENOENT', hosts: ['no-cdev'] },
        ],
      },
      { shape: 'aw39', accepted: ['mgaw57-a', 'mgaw57-b', 'mgaw39', 'no-cdev'], refused: [] },
    ]);
  });

  it('prints a compact table and the same bytes on every run', () => {
    const a = viommu(...args);
    expect(a.status).to.equal(0);
    expect(a.stdout.split('\n').slice(0, 4)).to.deep.equal([
      'profile 10.0: 4 hosts in 4 classes, 3 shapes, 9 scenarios run',
      'shape    placed  hosts',
      'legacy      3/4  mgaw57-a, mgaw57-b, no-cdev',
      `              1  refused: ${AW('vfio-pci,host=0000:01:00.0')} (mgaw39)`,
    ]);
    expect(viommu(...args).stdout).to.equal(a.stdout);
  });

  it('exits 1 when a shape has no host, 2 on bad input naming the line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'viommu-fleet-'));
    try {
      const shapes = join(dir, 's.jsonl');
      writeFileSync(shapes, '{"id":"wide","qemuArgs":"-machine q35,kernel-irqchip=split -accel kvm -device intel-iommu,aw-bits=48 -device vfio-pci,host=0000:01:00.0"}\n');
      const hosts = join(dir, 'h.jsonl');
      writeFileSync(hosts, readFileSync(join(FIX, 'hosts.jsonl'), 'utf8').split('\n')[2]!); // mgaw39
      const r = viommu('fleet', '--hosts', hosts, '--vms', shapes, '--qemu', '10.0');
      expect(r.status).to.equal(1);
      expect(r.stdout).to.contain('wide      0/1  -');
      writeFileSync(shapes, '{"id":"a","qemuArgs":"-machine q35"}\n{"id":"a","qemu":"x"}\n');
      const bad = viommu('fleet', '--hosts', hosts, '--vms', shapes);
      expect(bad.status).to.equal(2);
      expect(bad.stderr).to.equal(`viommu: ${shapes}:2: unknown field 'qemu' (id, qemuArgs, libvirt)\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fleet decision key', () => {
  const [a, b, narrow] = loadFleetHosts(join(FIX, 'hosts.jsonl'));
  const dev = new Set(['0000:01:00.0']);

  it('hosts differing only in facts the decision does not read share a key', () => {
    // mgaw57-b differs from mgaw57-a in its id, its description and bit 63 of dmar1's CAP;
    // a VM passing through 0000:01:00.0 (group 0, behind dmar0) reads none of them.
    expect(b!.units[1]!.registers.cap! >> 63n).to.equal(1n);
    expect(decisionKey(a!, dev)).to.equal(decisionKey(b!, dev));
    const relabelled = {
      ...a!,
      id: 'other',
      description: 'x',
      provenance: { kind: 'hand-written' },
      assumed: ['y'],
      units: a!.units.map((u) => ({ ...u, regBase: 0xfed90000n, version: '1:0' })),
    };
    expect(decisionKey(relabelled)).to.equal(decisionKey(a!));
  });

  it('hosts differing in a read bit do not', () => {
    // For any VM, dmar1 is read (0000:02:00.0 sits behind it): bit 63 of its CAP is in the key.
    expect(decisionKey(a!)).to.not.equal(decisionKey(b!));
    // CAP.MGAW of dmar0 differs: 0x38 vs 0x26.
    expect(decisionKey(a!, dev)).to.not.equal(decisionKey(narrow!, dev));
    const bit63 = { ...a!, units: [{ ...a!.units[0]!, registers: { ...a!.units[0]!.registers, cap: a!.units[0]!.registers.cap! | (1n << 63n) } }, a!.units[1]!] };
    expect(decisionKey(bit63, dev)).to.not.equal(decisionKey(a!, dev));
    const group = { ...a!, devices: [a!.devices[0]!, { ...a!.devices[1]!, group: 0, driver: 'nvme' }] };
    expect(decisionKey(group, dev), 'a group-mate of the passed-through device is read').to.not.equal(decisionKey(a!, dev));
  });

  it('runs each distinct key once and answers every host of a key alike', async () => {
    const comp = await Composition.create();
    const shapes = loadShapes(join(FIX, 'shapes.jsonl'));
    const plan = await planFleet(comp, [a!, b!], shapes, findProfile('10.0')!);
    expect(plan.classes).to.have.length(2);
    expect(plan.scenarios).to.equal(3);
  });

  it('gives the same placements on worker threads as in one thread (catalogue × 2 shapes)', async function () {
    this.timeout(60000);
    const comp = await Composition.create();
    const shapes = [
      vmShape('vtd', parseQemuArgs('-machine q35,kernel-irqchip=split -accel kvm -device intel-iommu,caching-mode=on -device vfio-pci,host=0000:01:00.0'.split(' '))),
      vmShape('smmu', parseQemuArgs('-machine virt,iommu=smmuv3 -accel kvm -device vfio-pci,host=0000:01:00.0'.split(' '))),
    ];
    const one = await planFleet(comp, listHosts(), shapes, findProfile('10.0')!, { maxWorkers: 0 });
    const two = await planFleet(comp, listHosts(), shapes, findProfile('10.0')!, { maxWorkers: 2, jobsPerWorker: 1 });
    expect(one.workers).to.equal(0);
    expect(two.workers).to.equal(2);
    expect(fleetToJson(two)).to.deep.equal(fleetToJson(one));
  });
});
