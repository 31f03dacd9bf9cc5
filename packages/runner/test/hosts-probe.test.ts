import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '@viommu/core';
import { AMD_NOT_MODELLED, hostFromJson, hostToJson, probeHost } from '../src/hosts/index.js';
import { pciDeviceFiles, vtdUnitFiles, writeTree } from './hosts-tree.js';

// intel-069: a client with scalable-mode VT-d 7.0 units, cap bit 63 set (shared/data/real-hosts.json):
//   DMAR: dmar0: reg_base_addr fc800000 ver 7:0 cap c9de008cee690462 ecap 12ca9a00f0ef5e
//   DMAR: dmar1: reg_base_addr fc801000 ver 7:0 cap c9de008cee690462 ecap 12ca9a00f0efde
const CLIENT = {
  ...vtdUnitFiles('dmar0', 'c9de008cee690462', '12ca9a00f0ef5e', '7:0', 'fc800000'),
  ...vtdUnitFiles('dmar1', 'c9de008cee690462', '12ca9a00f0efde', '7:0', 'fc801000'),
  ...pciDeviceFiles('0000:00:02.0', 'dmar0', 0, 'xe'),
  ...pciDeviceFiles('0000:00:14.0', 'dmar1', 5, 'xhci_hcd'),
  ...pciDeviceFiles('0000:03:00.0', 'dmar1', 14, 'vfio-pci'),
  'proc/cmdline': 'BOOT_IMAGE=/vmlinuz-6.14.0-29-generic root=/dev/nvme0n1p2 ro quiet intel_iommu=on iommu=pt\n',
  'proc/sys/kernel/osrelease': '6.14.0-29-generic\n',
  'proc/sys/kernel/hostname': 'lab-client-7\n',
  'dev/iommu': '',
  'dev/vfio/vfio': '',
  'dev/vfio/devices/vfio0': '',
  'sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts': 'N\n',
  'sys/module/iommufd/parameters/allow_unsafe_interrupts': 'Y\n',
};

describe('probeHost (a tree standing for /)', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'viommu-probe-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads units, devices, groups, drivers, kernel and device nodes; bit 63 intact', () => {
    writeTree(root, CLIENT);
    const { host, found, assumed } = probeHost(root);
    expect(host).to.deep.equal({
      id: 'lab-client-7',
      description: 'probed on lab-client-7',
      arch: 'x86_64',
      kernel: {
        release: '6.14.0-29-generic',
        cmdline: 'BOOT_IMAGE=/vmlinuz-6.14.0-29-generic root=/dev/nvme0n1p2 ro quiet intel_iommu=on iommu=pt',
        iommufd: true,
        vfioCdev: true,
        vfioType1: true,
        params: { 'vfio_iommu_type1.allow_unsafe_interrupts': 'N', 'iommufd.allow_unsafe_interrupts': 'Y' },
      },
      units: [
        { name: 'dmar0', vendor: 'intel', registers: { cap: 0xc9de008cee690462n, ecap: 0x12ca9a00f0ef5en }, regBase: 0xfc800000n, version: '7:0' },
        { name: 'dmar1', vendor: 'intel', registers: { cap: 0xc9de008cee690462n, ecap: 0x12ca9a00f0efden }, regBase: 0xfc801000n, version: '7:0' },
      ],
      devices: [
        { bdf: '0000:00:02.0', unit: 'dmar0', group: 0, driver: 'xe' },
        { bdf: '0000:00:14.0', unit: 'dmar1', group: 5, driver: 'xhci_hcd' },
        { bdf: '0000:03:00.0', unit: 'dmar1', group: 14, driver: 'vfio-pci' },
      ],
      provenance: {
        kind: 'probe',
        source: root,
        raw: [
          '/sys/class/iommu/dmar0/intel-iommu/cap: c9de008cee690462',
          '/sys/class/iommu/dmar0/intel-iommu/ecap: 12ca9a00f0ef5e',
          '/sys/class/iommu/dmar0/intel-iommu/version: 7:0',
          '/sys/class/iommu/dmar0/intel-iommu/address: fc800000',
          '/sys/class/iommu/dmar1/intel-iommu/cap: c9de008cee690462',
          '/sys/class/iommu/dmar1/intel-iommu/ecap: 12ca9a00f0efde',
          '/sys/class/iommu/dmar1/intel-iommu/version: 7:0',
          '/sys/class/iommu/dmar1/intel-iommu/address: fc801000',
        ],
      },
      assumed: ['PCI PASID and ATS capabilities of 0000:00:02.0, 0000:00:14.0, 0000:03:00.0 not read (config space beyond 256 bytes needs root); assumed none'],
    });
    expect(found).to.include('/sys/class/iommu/dmar1/devices/0000:03:00.0: PCI 0000:03:00.0 behind dmar1, IOMMU group 14, driver vfio-pci');
    expect(found).to.include('/dev: iommu present, vfio/devices present, vfio/vfio present');
    expect(assumed).to.deep.equal(host!.assumed);
    expect(hostFromJson(hostToJson(host!), 'probe')).to.deep.equal(host);
  });

  it('reads PASID and ATS from the extended config space when it was readable (root)', () => {
    // PCIe Base Spec §7.6: extended capability headers from 0x100 (id 15:0, version 19:16, next 31:20).
    // ATS (id 0x0f) at 0x100 → PASID (id 0x1b) at 0x140: capability 0x1406 (Max PASID Width 20, exec,
    // priv supported), control 0x0003 (enabled, exec enabled, priv not enabled).
    const config = Buffer.alloc(4096);
    config.writeUInt32LE((0x140 << 20) | (1 << 16) | 0x0f, 0x100);
    config.writeUInt32LE((0x000 << 20) | (1 << 16) | 0x1b, 0x140);
    config.writeUInt16LE(0x1406, 0x144);
    config.writeUInt16LE(0x0003, 0x146);
    writeTree(root, CLIENT);
    writeFileSync(join(root, 'sys/devices/pci0000:00/0000:03:00.0/config'), config);
    writeFileSync(join(root, 'sys/devices/pci0000:00/0000:00:02.0/config'), config.subarray(0, 256));
    const r = probeHost(root);
    expect(r.host!.devices).to.deep.equal([
      { bdf: '0000:00:02.0', unit: 'dmar0', group: 0, driver: 'xe' },
      { bdf: '0000:00:14.0', unit: 'dmar1', group: 5, driver: 'xhci_hcd' },
      { bdf: '0000:03:00.0', unit: 'dmar1', group: 14, driver: 'vfio-pci', pasidLog2: 20, pasidExec: true, ats: true },
    ]);
    expect(r.found).to.include('/sys/class/iommu/dmar1/devices/0000:03:00.0: PCI 0000:03:00.0 behind dmar1, IOMMU group 14, driver vfio-pci, PASID 20 bits exec, ATS yes');
    expect(r.assumed).to.include('PCI PASID and ATS capabilities of 0000:00:02.0, 0000:00:14.0 not read (config space beyond 256 bytes needs root); assumed none');
  });

  it('reports what it sees of /dev: a kernel without iommufd', () => {
    const { 'dev/iommu': _, 'dev/vfio/devices/vfio0': __, ...old } = CLIENT;
    writeTree(root, { ...old, 'proc/sys/kernel/osrelease': '5.15.0-116-generic\n' });
    expect(probeHost(root).host!.kernel).to.deep.include({ release: '5.15.0-116-generic', iommufd: false, vfioCdev: false, vfioType1: true });
  });

  it('lists an AMD-Vi unit with its raw EFR, and says checks are not modelled', () => {
    // amd-001's EFR (shared/data/real-hosts.json: 'AMD-Vi: Extended features (0x206d73ef22254ade, 0x0)')
    writeTree(root, {
      'sys/devices/pci0000:00/0000:00:00.2/iommu/ivhd0/amd-iommu/features': '206d73ef22254ade\n',
      'sys/class/iommu/ivhd0': { link: '../../devices/pci0000:00/0000:00:00.2/iommu/ivhd0' },
      'proc/sys/kernel/osrelease': '5.15.0-116-generic\n',
    });
    const r = probeHost(root);
    expect(r.host!.units).to.deep.equal([{ name: 'ivhd0', vendor: 'amd', registers: { efr: 0x206d73ef22254aden } }]);
    expect(r.host!.devices).to.deep.equal([]);
    expect(r.assumed).to.include(AMD_NOT_MODELLED);
    writeTree(root, { 'sys/devices/pci0000:00/0000:00:00.2/iommu/ivhd0/amd-iommu/features': '206d73ef22254ade:0\n' });
    const pair = probeHost(root);
    expect(pair.host!.units).to.deep.equal([{ name: 'ivhd0', vendor: 'amd', registers: {}, extra: { features: '206d73ef22254ade:0' } }]);
    expect(pair.assumed).to.include("ivhd0: features '206d73ef22254ade:0' kept as printed (which word is EFR depends on the kernel release)");
  });

  it('on a machine with no IOMMU says so plainly and gives no host', () => {
    writeTree(root, { 'proc/cmdline': 'root=/dev/sda1 ro\n', 'proc/sys/kernel/osrelease': '6.12.38+deb13-amd64\n', 'sys/class/iommu/.keep': '' });
    const r = probeHost(root);
    expect(r.host).to.equal(null);
    expect(r.found).to.deep.equal(['no IOMMU: /sys/class/iommu is empty or absent']);
  });

  it('refuses a unit whose files cannot be read whole', () => {
    writeTree(root, { ...vtdUnitFiles('dmar0', 'c9de008cee690462', '12ca9a00f0ef5e', '7:0', 'fc800000'), 'sys/devices/virtual/iommu/dmar1/intel-iommu/cap': 'c9de008cee690462\n' });
    try {
      probeHost(root);
      expect.fail('probe accepted a unit without ecap');
    } catch (e) {
      expect(e).to.be.instanceOf(InputError);
      expect((e as Error).message).to.equal(`${root}: dmar1: no ecap (expected /sys/class/iommu/dmar1/intel-iommu/ecap; the copy is incomplete)`);
    }
  });
});
