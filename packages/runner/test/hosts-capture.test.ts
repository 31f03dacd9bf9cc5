import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importHost, probeHost } from '../src/hosts/index.js';
import { pciDeviceFiles, vtdUnitFiles, writeTree } from './hosts-tree.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The capture script exactly as docs/hosts.md prints it. */
function captureScript(): string {
  const doc = readFileSync(join(HERE, '../../../../docs/hosts.md'), 'utf8');
  const m = /<!-- capture-script -->\n```sh\n([\s\S]*?)```/.exec(doc);
  if (!m) throw new Error('docs/hosts.md has no capture script');
  return m[1]!;
}

// intel-002 (Supermicro X12DAi-N6, Ice Lake SP): ten units; three of them with devices.
const SERVER = {
  ...Object.fromEntries(
    ['d0ffc000', 'dbbfc000', 'e67fc000', 'f13fc000', 'fb7fc000', 'a63fc000', 'b0ffc000', 'bbbfc000', 'c5ffc000', '9b7fc000'].flatMap((base, i) =>
      Object.entries(vtdUnitFiles(`dmar${i}`, '8ed008c40780466', '60000f050df', '4:0', base)),
    ),
  ),
  ...pciDeviceFiles('0000:17:00.0', 'dmar1', 30, 'vfio-pci'),
  ...pciDeviceFiles('0000:17:00.1', 'dmar1', 30, 'vfio-pci'),
  ...pciDeviceFiles('0000:4a:00.0', 'dmar3', 51, 'nvme'),
  'sys/bus/pci/devices/0000:00:00.0': { link: '../../../devices/pci0000:00/0000:00:00.0' },
  'sys/devices/pci0000:00/0000:00:00.0/vendor': '0x8086\n',
  'proc/cmdline': 'BOOT_IMAGE=/vmlinuz-6.8.0-136-generic root=/dev/mapper/vg-root ro intel_iommu=on iommu=pt\n',
  'proc/sys/kernel/osrelease': '6.8.0-136-generic\n',
  'proc/sys/kernel/hostname': 'x12dai\n',
  'dev/vfio/vfio': '',
  'dev/vfio/devices/vfio0': '',
};

describe('the capture script of docs/hosts.md', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'viommu-capture-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('captures a tree standing for / into a tar that imports to what probe reads there', () => {
    const root = join(dir, 'root');
    writeTree(root, SERVER);
    // a root reader's config of 0000:17:00.0: PASID (PCIe §7.6, id 0x1b) at 0x100, Max PASID Width 20, enabled with exec and priv
    const config = Buffer.alloc(4096);
    config.writeUInt32LE((1 << 16) | 0x1b, 0x100);
    config.writeUInt16LE(0x1406, 0x104);
    config.writeUInt16LE(0x0007, 0x106);
    writeFileSync(join(root, 'sys/devices/pci0000:00/0000:17:00.0/config'), config);
    const log = join(dir, 'saved-dmesg.txt');
    writeFileSync(log, '[    0.102778] DMAR: dmar1: reg_base_addr dbbfc000 ver 4:0 cap 8ed008c40780466 ecap 60000f050df\n');
    const work = join(dir, 'work');
    mkdirSync(work);
    const printed = execFileSync('sh', ['-c', captureScript()], { cwd: work, env: { ...process.env, ROOT: root, LOG: log } }).toString();
    expect(printed).to.equal('x12dai.viommu.tar.gz\n');

    const imported = importHost(join(work, 'x12dai.viommu.tar.gz'));
    const probed = probeHost(root);
    expect(imported.host.units).to.deep.equal(probed.host!.units);
    expect(imported.host.devices).to.deep.equal(probed.host!.devices);
    expect(imported.host.kernel).to.deep.equal(probed.host!.kernel);
    expect(imported.host.units).to.have.length(10);
    expect(imported.host.devices).to.deep.equal([
      { bdf: '0000:17:00.0', unit: 'dmar1', group: 30, driver: 'vfio-pci', pasidLog2: 20, pasidExec: true, pasidPriv: true },
      { bdf: '0000:17:00.1', unit: 'dmar1', group: 30, driver: 'vfio-pci' },
      { bdf: '0000:4a:00.0', unit: 'dmar3', group: 51, driver: 'nvme' },
    ]);
    expect(imported.host.kernel).to.deep.equal({
      release: '6.8.0-136-generic',
      cmdline: 'BOOT_IMAGE=/vmlinuz-6.8.0-136-generic root=/dev/mapper/vg-root ro intel_iommu=on iommu=pt',
      iommufd: false,
      vfioCdev: true,
      vfioType1: true,
    });
    expect(imported.found).to.include(`${join(work, 'x12dai.viommu.tar.gz')}/dmesg.txt line 1: VT-d unit dmar1 (reg_base_addr 0xdbbfc000, ver 4:0): cap 0x8ed008c40780466 ecap 0x60000f050df`);
  });
});
