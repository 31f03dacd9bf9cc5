import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findHost, hostToJson } from '../src/hosts/index.js';
import { viommu } from './cli-helpers.js';

/** q35 with the irqchip split, as intel-iommu with interrupt remapping under KVM needs. */
const Q35 = ['-machine', 'q35,kernel-irqchip=split', '-accel', 'kvm'];
const FSTS = ['-device', 'intel-iommu,caching-mode=on,scalable-mode=on,fsts=on'];
const FD0 = ['-object', 'iommufd,id=fd0'];
const ACCEL_SMMU = ['-machine', 'virt', '-accel', 'kvm', '-device', 'arm-smmuv3,primary-bus=pcie.0,accel=on', ...FD0, '-device', 'vfio-pci,host=0000:01:00.0,iommufd=fd0'];

/** A catalogue host written as a host profile file, changed by `edit` (the test says what and why). */
function hostFile(id: string, edit: (j: any) => void): string {
  const j = hostToJson(findHost(id)!) as any;
  edit(j);
  const path = join(mkdtempSync(join(tmpdir(), 'viommu-')), `${j.id}.json`);
  writeFileSync(path, JSON.stringify(j));
  return path;
}

/** Second line of `check` text: QEMU's line. */
const qemuLine = (out: string) => out.split('\n')[1];

describe('viommu check: the seed scenarios end to end (QEMU messages from hw/i386/intel_iommu.c and hw/arm/smmuv3-accel.c, master)', () => {
  it('x-flts with a legacy container: 10.2 refuses every host device, upstream asks for iommufd', () => {
    const r102 = viommu(['check', '--host', 'intel-068', '--qemu', '10.2', '--', ...Q35, '-device', 'intel-iommu,caching-mode=on,x-scalable-mode=on,x-flts=on', '-device', 'vfio-pci,host=0000:01:00.0']);
    expect(r102.code).to.equal(1);
    expect(qemuLine(r102.out)).to.equal(
      'qemu-system-x86_64: -device vfio-pci,host=0000:01:00.0: vfio 0000:01:00.0: Failed to set vIOMMU: host device is uncompatible with stage-1 translation',
    );
    const up = viommu(['check', '--host', 'intel-068', '--qemu', 'upstream', '--', ...Q35, ...FSTS, '-device', 'vfio-pci,host=0000:01:00.0']);
    expect(up.code).to.equal(1);
    expect(qemuLine(up.out)).to.equal(
      'qemu-system-x86_64: -device vfio-pci,host=0000:01:00.0: vfio 0000:01:00.0: Failed to set vIOMMU: Need IOMMUFD backend when fsts=on',
    );
  });

  it('x-flts on a host without nesting (intel-003: ECAP.NEST clear): the nest-parent HWPT allocation fails with EOPNOTSUPP', () => {
    const r = viommu(['check', '--host', 'intel-003', '--qemu', 'upstream', '--no-trace', '--', ...Q35, ...FSTS, ...FD0, '-device', 'vfio-pci,host=0000:01:00.0,iommufd=fd0']);
    expect(r.code).to.equal(1);
    expect(qemuLine(r.out)).to.equal(
      'qemu-system-x86_64: -device vfio-pci,host=0000:01:00.0,iommufd=fd0: vfio 0000:01:00.0: Failed to allocate hwpt: Operation not supported',
    );
    expect(r.out).to.contain('stage: vfio-attach, errno EOPNOTSUPP');
    // no dirty tracking on this host (hw_info out_capabilities 0): QEMU asks NEST_PARENT alone
    expect(r.out).to.contain('HWPT refused EOPNOTSUPP: pt_id=2 dev_id=1 flags=1 (NEST_PARENT) data_type=0');
  });

  it('fs1gp on a host without FS1GP (intel-068 with CAP.FL1GP, bit 56, cleared; CAP keeps bit 63)', () => {
    const host = hostFile('intel-068', (j) => {
      j.id = 'intel-068-no-fs1gp';
      for (const u of j.units) u.registers.cap = `0x${(BigInt(u.registers.cap) & ~(1n << 56n)).toString(16)}`;
    });
    const args = [...Q35, ...FD0, '-device', 'vfio-pci,host=0000:01:00.0,iommufd=fd0'];
    const r = viommu(['check', '--host', host, '--qemu', 'upstream', '--no-trace', '--', ...FSTS, ...args]);
    expect(r.code).to.equal(1);
    expect(qemuLine(r.out)).to.equal(
      'qemu-system-x86_64: -device vfio-pci,host=0000:01:00.0,iommufd=fd0: vfio 0000:01:00.0: Failed to set vIOMMU: First stage 1GB large page is unsupported by host IOMMU',
    );
    const off = viommu(['check', '--host', host, '--qemu', 'upstream', '--no-trace', '--', '-device', 'intel-iommu,caching-mode=on,scalable-mode=on,fsts=on,fs1gp=off', ...args]);
    expect(off.code, off.out).to.equal(0);
  });

  it('a device behind a PCI bridge with first-stage translation', () => {
    for (const bridge of [['-device', 'pci-bridge,id=br0,chassis_nr=1'], ['-device', 'pcie-root-port,id=rp0', '-device', 'pcie-pci-bridge,id=br0,bus=rp0']]) {
      const r = viommu(['check', '--host', 'intel-068', '--qemu', 'upstream', '--no-trace', '--', ...Q35, ...FSTS, ...FD0, ...bridge, '-device', 'vfio-pci,host=0000:01:00.0,bus=br0,addr=1.0,iommufd=fd0']);
      expect(r.code).to.equal(1);
      expect(qemuLine(r.out)).to.equal(
        'qemu-system-x86_64: -device vfio-pci,host=0000:01:00.0,bus=br0,addr=1.0,iommufd=fd0: vfio 0000:01:00.0: Failed to set vIOMMU: Host device downstream to a PCI bridge is unsupported when fsts=on',
      );
    }
  });

  it('accel SMMUv3 on an incompatible host (arm-004: features 0x1e1fbf, no ARM_SMMU_FEAT_RANGE_INV)', () => {
    const r = viommu(['check', '--host', 'arm-004', '--qemu', 'upstream', '--no-trace', '--', ...ACCEL_SMMU]);
    expect(r.code).to.equal(1);
    expect(qemuLine(r.out)).to.equal(
      "qemu-system-aarch64: -device vfio-pci,host=0000:01:00.0,iommufd=fd0: vfio 0000:01:00.0: Failed to set vIOMMU: Host SMMUv3 doesn't support Range Invalidation",
    );
  });

  it('happy path, intel: fsts on a nesting host allocates a NEST_PARENT|DIRTY_TRACKING HWPT (flags=3), and says so', () => {
    const r = viommu(['check', '--host', 'intel-068', '--qemu', 'upstream', '--', ...Q35, ...FSTS, ...FD0, '-device', 'pcie-root-port,id=rp0', '-device', 'vfio-pci,host=0000:01:00.0,bus=rp0,iommufd=fd0']);
    expect(r.code, r.out).to.equal(0);
    expect(r.out.split('\n')[0]).to.match(/^OK: qemu-system-x86_64 pc-q35-11\.0, profile upstream /);
    expect(r.out).to.match(/ioctl IOMMU_HWPT_ALLOC fd=\d+ flags=3 dev_id=1 pt_id=2 data_type=0 -> \{"out_hwpt_id":3\}/);
    expect(r.out).to.contain('kernel: hwpt_paging 3 ioas 2 nest-parent');
    expect(r.out).to.contain('HWPT 3: pt_id=2 dev_id=1 flags=3 (NEST_PARENT|DIRTY_TRACKING) data_type=0');
    // get_viommu_flags: WANT_NESTING_PARENT | WANT_NESTING_DIRTY_TRACKING (bits 0 and 2)
    expect(r.out).to.contain('vIOMMU intel-iommu: flags=0x5 (WANT_NESTING_PARENT|WANT_NESTING_DIRTY_TRACKING)');
  });

  it('happy path, arm: accel SMMUv3 on a host that has range invalidation (arm-004 with RANGE_INV set) nests through a vIOMMU', () => {
    const host = hostFile('arm-004', (j) => {
      j.id = 'arm-004-ril';
      for (const u of j.units) u.extra.features = `0x${(Number(u.extra.features) | (1 << 15)).toString(16)}`;
    });
    const r = viommu(['check', '--host', host, '--qemu', 'upstream', '--', ...ACCEL_SMMU]);
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.match(/ioctl IOMMU_HWPT_ALLOC fd=\d+ flags=1 dev_id=1 pt_id=2 data_type=0 /);
    expect(r.out).to.match(/ioctl IOMMU_VIOMMU_ALLOC fd=\d+ flags=0 type=1 dev_id=1 hwpt_id=3/);
    expect(r.out).to.contain('kernel: hwpt_nested');
  });
});

describe('viommu check: output', () => {
  const ARGS = ['--', '-machine', 'q35', '-device', 'intel-iommu,caching-mode=on,aw-bits=39', '-device', 'vfio-pci,host=0000:02:00.0'];

  it('names the profile: the newest without --qemu, the one asked for with it', () => {
    expect(viommu(['check', '--host', 'intel-001', ...ARGS]).out.split('\n')[0]).to.contain('profile upstream (QEMU upstream master');
    expect(viommu(['check', '--host', 'intel-001', '--qemu', '7.2', ...ARGS]).out.split('\n')[0]).to.contain('profile 7.2 (QEMU 7.2 (Debian 12');
  });

  it('refuses aw-bits 48 on the ThinkPad W520 (intel-001, MGAW 39) with QEMU 10.0 text, in text and JSON', () => {
    const args = ['check', '--host', 'intel-001', '--qemu', '10.0', '--', '-machine', 'q35', '-device', 'intel-iommu,caching-mode=on', '-device', 'vfio-pci,host=0000:02:00.0'];
    const text = viommu(args);
    expect(text.code).to.equal(1);
    expect(qemuLine(text.out)).to.equal('qemu-system-x86_64: -device vfio-pci,host=0000:02:00.0: vfio 0000:02:00.0: Failed to set vIOMMU: aw-bits 48 > host aw-bits 39');
    const json = viommu([...args.slice(0, 5), '--json', ...args.slice(5)]);
    const v = JSON.parse(json.out);
    expect(json.code).to.equal(1);
    expect(v).to.include({ ok: false, profile: '10.0', qemuBinary: 'qemu-system-x86_64', machine: 'pc-q35-10.0', host: 'intel-001' });
    expect(v.refusal).to.include({ message: 'vfio 0000:02:00.0: Failed to set vIOMMU: aw-bits 48 > host aw-bits 39', stage: 'set-iommu-device', location: '-device vfio-pci,host=0000:02:00.0' });
    expect(v.trace.length).to.be.greaterThan(5);
    expect(v.viommus[0].registers.cap).to.match(/^0x[0-9a-f]+$/);
  });

  it('is deterministic: the same check gives the same bytes', () => {
    const a = viommu(['check', '--host', 'intel-068', '--json', ...ARGS]);
    const b = viommu(['check', '--host', 'intel-068', '--json', ...ARGS]);
    expect(a.out).to.equal(b.out);
  });

  it('7.2 has no iommufd: the -object is refused at option parsing, before anything else', () => {
    const r = viommu(['check', '--host', 'intel-068', '--qemu', '7.2', '--', '-machine', 'pc-q35-99.1', '-object', 'iommufd,id=fd0']);
    // qemu-system-x86_64 7.2 prints exactly this for the same arguments
    expect(qemuLine(r.out)).to.equal("qemu-system-x86_64: -object iommufd,id=fd0: Parameter 'qom-type' does not accept value 'iommufd'");
  });

  it('reads the command line from a file, and a libvirt domain, to the same verdict', () => {
    const dir = mkdtempSync(join(tmpdir(), 'viommu-'));
    writeFileSync(join(dir, 'vm.sh'), "qemu-system-x86_64 \\\n  -machine q35 \\\n  -device 'intel-iommu,caching-mode=on' \\\n  -device vfio-pci,host=0000:02:00.0 # the NIC\n");
    writeFileSync(
      join(dir, 'vm.xml'),
      `<domain type='kvm'><name>vm</name><os><type arch='x86_64' machine='q35'>hvm</type></os>
        <devices><iommu model='intel'><driver caching_mode='on'/></iommu>
        <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x02' slot='0x00' function='0x0'/></source></hostdev>
        </devices></domain>`,
    );
    const file = viommu(['check', '--host', 'intel-001', '--qemu', '10.0', '--no-trace', '--cmdline', join(dir, 'vm.sh')]);
    const xml = viommu(['check', '--host', 'intel-001', '--qemu', '10.0', '--no-trace', '--libvirt', join(dir, 'vm.xml')]);
    expect(file.code).to.equal(1);
    expect(xml.code).to.equal(1);
    expect(file.out).to.contain('Failed to set vIOMMU: aw-bits 48 > host aw-bits 39');
    expect(xml.out).to.contain('Failed to set vIOMMU: aw-bits 48 > host aw-bits 39');
  });
});

describe('viommu check: machine-wide errors carry no location, as QEMU prints them', () => {
  it('-machine virt,iommu=foo (qemu-system-aarch64 7.2: "Invalid iommu value" / "Valid values are none, smmuv3.")', () => {
    const r = viommu(['check', '--host', 'arm-004', '--qemu', '7.2', '--no-trace', '--', '-machine', 'virt,iommu=foo']);
    expect(r.code).to.equal(1);
    expect(r.out.split('\n').slice(1, 3)).to.deep.equal(['qemu-system-aarch64: Invalid iommu value', 'Valid values are none, smmuv3.']);
  });
  it('an unknown machine type (qemu-system-x86_64 7.2: "unsupported machine type" / "Use -machine help to list supported machines")', () => {
    const r = viommu(['check', '--host', 'intel-001', '--qemu', '7.2', '--no-trace', '--', '-machine', 'pc-q35-99.1']);
    expect(r.out.split('\n').slice(1, 3)).to.deep.equal(['qemu-system-x86_64: unsupported machine type', 'Use -machine help to list supported machines']);
  });
  it("the board's own functions hold their slots (qemu-system-{x86_64,aarch64} 7.2 and 10.0, -nodefaults)", () => {
    const taken = (host: string, machine: string, addr: string) =>
      qemuLine(viommu(['check', '--host', host, '--qemu', '10.0', '--no-trace', '--', '-machine', machine, '-nodefaults', '-device', `e1000e,addr=${addr}`]).out);
    expect(taken('intel-068', 'q35', '0')).to.equal('qemu-system-x86_64: -device e1000e,addr=0: PCI: slot 0 function 0 not available for e1000e, in use by mch,id=(null)');
    expect(taken('intel-068', 'q35', '1f.0')).to.equal('qemu-system-x86_64: -device e1000e,addr=1f.0: PCI: slot 31 function 0 not available for e1000e, in use by ICH9-LPC,id=(null)');
    expect(taken('intel-068', 'q35', '1f.2')).to.equal('qemu-system-x86_64: -device e1000e,addr=1f.2: PCI: slot 31 function 2 not available for e1000e, in use by ich9-ahci,id=(null)');
    expect(taken('intel-068', 'q35', '1f.3')).to.equal('qemu-system-x86_64: -device e1000e,addr=1f.3: PCI: slot 31 function 3 not available for e1000e, in use by ICH9-SMB,id=(null)');
    expect(taken('intel-068', 'pc', '1.1')).to.equal('qemu-system-x86_64: -device e1000e,addr=1.1: PCI: slot 1 function 1 not available for e1000e, in use by piix3-ide,id=(null)');
    expect(taken('intel-068', 'pc', '1.3')).to.equal('qemu-system-x86_64: -device e1000e,addr=1.3: PCI: slot 1 function 3 not available for e1000e, in use by PIIX4_PM,id=(null)');
    expect(taken('arm-004', 'virt', '0')).to.equal('qemu-system-aarch64: -device e1000e,addr=0: PCI: slot 0 function 0 not available for e1000e, in use by gpex-root,id=(null)');
    const off = viommu(['check', '--host', 'intel-068', '--qemu', '10.0', '--no-trace', '--', '-machine', 'q35,sata=off', '-nodefaults', '-device', 'e1000e,addr=1f.2']);
    expect(off.code).to.equal(0);
  });
  it('without -nodefaults, board init adds the default display and NIC first (qemu-system-{x86_64,aarch64} 7.2 and 10.0 info pci)', () => {
    const inUse = (host: string, args: string[]) => qemuLine(viommu(['check', '--host', host, '--no-trace', '--', ...args]).out)?.replace(/^.*, in use by /, '');
    expect(inUse('intel-068', ['-M', 'q35', '-device', 'e1000e,addr=1'])).to.equal('VGA,id=(null)');
    expect(inUse('intel-068', ['-M', 'q35', '-device', 'e1000e,addr=2'])).to.equal('e1000e,id=(null)');
    expect(inUse('intel-068', ['-M', 'pc', '-device', 'e1000e,addr=3'])).to.equal('e1000,id=(null)');
    expect(inUse('arm-004', ['-M', 'virt', '-device', 'e1000e,addr=1'])).to.equal('virtio-net-pci,id=(null)');
    expect(inUse('intel-068', ['-M', 'q35', '-vga', 'none', '-device', 'e1000e,addr=1'])).to.equal('e1000e,id=(null)');
    expect(inUse('intel-068', ['-M', 'q35', '-device', 'VGA,addr=5', '-device', 'e1000e,addr=1'])).to.equal('e1000e,id=(null)');
    expect(inUse('intel-068', ['-M', 'q35', '-nodefaults', '-nic', 'user,model=virtio-net-pci', '-device', 'e1000e,addr=1'])).to.equal('virtio-net-pci,id=(null)');
    const noNic = viommu(['check', '--host', 'arm-004', '--qemu', '10.0', '--no-trace', '--', '-M', 'virt,iommu=smmuv3', '-netdev', 'user,id=n', '-device', 'vfio-pci,host=0000:01:00.0']);
    expect(qemuLine(noNic.out)).to.match(/region-8-0: device 00\.01\.0 requires/);
    const withNic = viommu(['check', '--host', 'arm-004', '--qemu', '10.0', '--no-trace', '--', '-M', 'virt,iommu=smmuv3', '-device', 'vfio-pci,host=0000:01:00.0']);
    expect(qemuLine(withNic.out)).to.match(/region-16-0: device 00\.02\.0 requires/);
    const vga = viommu(['check', '--host', 'intel-068', '--', '-M', 'q35', '-vga', 'foo']);
    expect([vga.code, vga.err.trim()]).to.deep.equal([2, 'viommu: command line: unknown vga type: foo']);
  });
  it('virt: an unplaced vfio-pci takes slot 1, after gpex-root (smmu_find_add_as names the region by bus and devfn)', () => {
    const r = viommu(['check', '--host', 'arm-004', '--qemu', '10.0', '--no-trace', '--', '-machine', 'virt,iommu=smmuv3', '-nodefaults', '-accel', 'kvm', '-device', 'vfio-pci,host=0000:01:00.0']);
    expect(r.code).to.equal(1);
    expect(qemuLine(r.out)).to.match(/: Region smmuv3-iommu-memory-region-8-0: device 00\.01\.0 requires iommu MAP notifier which is not currently supported$/);
  });
});

describe('viommu hosts', () => {
  it('lists the catalogue and shows a host with its registers as bigint hex (intel-068: CAP bit 63 set)', () => {
    const list = viommu(['hosts', 'list']);
    expect(list.code).to.equal(0);
    expect(list.out).to.match(/^intel-001 /m);
    const show = viommu(['hosts', 'show', 'intel-068']);
    expect(show.out).to.match(/cap 0x[89a-f][0-9a-f]{15}\b/);
  });
  it('imports a boot log into a host profile that check accepts', () => {
    const fixture = fileURLToPath(new URL('../../test/fixtures/hosts/intel-001.dmesg.txt', import.meta.url));
    const r = viommu(['hosts', 'import', fixture]);
    expect(r.code).to.equal(0);
    const path = join(mkdtempSync(join(tmpdir(), 'viommu-')), 'w520.json');
    writeFileSync(path, r.out);
    const check = viommu(['check', '--host', path, '--qemu', '10.0', '--no-trace', '--', '-machine', 'q35', '-device', 'intel-iommu,caching-mode=on', '-device', 'vfio-pci,host=0000:02:00.0']);
    expect(check.out.split('\n')[1]).to.equal('qemu-system-x86_64: -device vfio-pci,host=0000:02:00.0: vfio 0000:02:00.0: Failed to set vIOMMU: aw-bits 48 > host aw-bits 39');
  });
  it('refuses an unknown subcommand', () => {
    const r = viommu(['hosts', 'frob']);
    expect(r.code).to.equal(2);
    expect(r.err).to.equal("viommu: hosts: unknown subcommand 'frob' (list, show, import, probe)\n");
  });
});

describe('viommu check: PCI registration asks the vIOMMU first (pci_iommu_supports_address_space, master)', () => {
  const SMMU = ['-machine', 'virt', '-accel', 'kvm', '-device', 'arm-smmuv3,primary-bus=pcie.0,accel=on'];
  it('an emulated endpoint behind an accel SMMUv3 is refused at its own -device', () => {
    const r = viommu(['check', '--host', 'arm-004', '--no-trace', '--', ...SMMU, '-device', 'virtio-net-pci']);
    expect(r.out.split('\n')[1]).to.equal('qemu-system-aarch64: -device virtio-net-pci: Emulated endpoint devices are not allowed when using arm-smmuv3,accel=on');
  });
  it('a vfio-pci without iommufd behind an accel SMMUv3 is refused before any VFIO call', () => {
    const r = viommu(['check', '--host', 'arm-004', '--json', '--', ...SMMU, '-device', 'vfio-pci,host=0000:01:00.0']);
    const v = JSON.parse(r.out);
    expect(v.refusal).to.include({ message: 'vfio-pci endpoint devices without an iommufd backend not allowed when using arm-smmuv3,accel=on', stage: 'realize' });
    expect(v.trace.filter((e: { kind: string }) => e.kind === 'call')).to.deep.equal([]);
  });
});

describe('viommu check: vfio-pci options as QEMU 7.2 reports them (qemu-system-x86_64 -machine q35 -device …)', () => {
  const run = (dev: string) => viommu(['check', '--host', 'intel-001', '--qemu', '7.2', '--no-trace', '--', '-machine', 'q35', '-device', dev]).out.split('\n');
  it('no host', () =>
    expect(run('vfio-pci').slice(1, 3)).to.deep.equal([
      'qemu-system-x86_64: -device vfio-pci: No provided host device',
      'Use -device vfio-pci,host=DDDD:BB:DD.F or -device vfio-pci,sysfsdev=PATH_TO_DEVICE',
    ]));
  it('a malformed host', () => expect(run('vfio-pci,host=zz')[1]).to.equal("qemu-system-x86_64: -device vfio-pci,host=zz: Property 'vfio-pci.host' doesn't take value 'zz'"));
  it('a malformed addr', () =>
    expect(run('vfio-pci,host=0000:01:00.0,addr=zz')[1]).to.equal("qemu-system-x86_64: -device vfio-pci,host=0000:01:00.0,addr=zz: Property 'vfio-pci.addr' doesn't take value 'zz'"));
  it('an unknown bus', () => expect(run('vfio-pci,host=0000:01:00.0,bus=nope')[1]).to.equal("qemu-system-x86_64: -device vfio-pci,host=0000:01:00.0,bus=nope: Bus 'nope' not found"));
  it('iommufd= where QEMU has none', () =>
    expect(run('vfio-pci,host=0000:01:00.0,iommufd=fd0')[1]).to.equal("qemu-system-x86_64: -device vfio-pci,host=0000:01:00.0,iommufd=fd0: Property 'vfio-pci.iommufd' not found"));
  it('sysfsdev= names the device by its path', () => {
    const r = viommu(['check', '--host', 'intel-001', '--qemu', '10.0', '--no-trace', '--', '-machine', 'q35', '-device', 'intel-iommu,caching-mode=on,aw-bits=39', '-device', 'vfio-pci,sysfsdev=/sys/bus/pci/devices/0000:02:00.0']);
    expect(r.code, r.out).to.equal(0);
  });
});
