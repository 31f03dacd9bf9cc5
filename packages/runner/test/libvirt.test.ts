import { expect } from 'chai';
import { InputError } from '@viommu/core';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLibvirtDomain } from '../src/input/libvirt.js';
import type { VmConfig } from '../src/input/vm-config.js';
import { viommu } from './cli-helpers.js';

const fixture = (name: string): VmConfig =>
  parseLibvirtDomain(readFileSync(new URL(`../../test/fixtures/libvirt/${name}.xml`, import.meta.url), 'utf8'), `${name}.xml`);

/**
 * libvirt's `-machine` argument without the parts that depend on what QEMU reports
 * (`memory-backend=` from the default RAM id, `acpi=`, `hpet=`), which viommu leaves out.
 */
const withoutCapsParts = (machine: string): string =>
  machine
    .split(',')
    .filter((p) => !/^(memory-backend|acpi|hpet)=/.test(p))
    .join(',');

/** Expected lines: `-machine` and `-device` arguments of libvirt's `tests/qemuxmlconfdata/<name>.<arch>-latest.args`. */
function expectArgs(vm: VmConfig, machine: string, devices: string[]): void {
  expect(vm.machine.text).to.equal(`-machine ${withoutCapsParts(machine)}`);
  expect(vm.devices.map((d) => d.location)).to.deep.equal(devices.map((d) => `-device ${d}`));
}

describe('libvirt domain XML → the QEMU command line libvirt runs (libvirt tests/qemuxmlconfdata)', () => {
  it('intel-iommu-caching-mode: intremap (on/off string), caching-mode (bool), kernel_irqchip=split from <ioapic driver="qemu">', () => {
    const vm = fixture('intel-iommu-caching-mode');
    expectArgs(vm, 'q35,usb=off,kernel_irqchip=split,dump-guest-core=off,memory-backend=pc.ram,acpi=off', [
      '{"driver":"intel-iommu","id":"iommu0","intremap":"on","caching-mode":true}',
    ]);
    expect(vm.accel).to.equal('kvm');
    expect(vm.machine.props['kernel-irqchip']).to.equal('split');
    expect(vm.devices[0]!.pairs).to.deep.equal([
      { key: 'id', value: 'iommu0' },
      { key: 'intremap', value: 'on' },
      { key: 'caching-mode', value: 'on' },
    ]);
  });

  it('intel-iommu-eim: eim (on/off string)', () => {
    expectArgs(fixture('intel-iommu-eim'), 'q35,usb=off,kernel_irqchip=split,dump-guest-core=off,memory-backend=pc.ram,acpi=off', [
      '{"driver":"intel-iommu","id":"iommu0","intremap":"on","eim":"on"}',
    ]);
  });

  it('intel-iommu-device-iotlb: <driver iotlb> is device-iotlb (bool)', () => {
    expectArgs(fixture('intel-iommu-device-iotlb'), 'q35,usb=off,kernel_irqchip=split,dump-guest-core=off,memory-backend=pc.ram,acpi=off', [
      '{"driver":"intel-iommu","id":"iommu0","intremap":"on","device-iotlb":true}',
    ]);
  });

  it('intel-iommu-aw-bits: <driver aw_bits> is aw-bits (number)', () => {
    const vm = fixture('intel-iommu-aw-bits');
    expectArgs(vm, 'q35,usb=off,kernel_irqchip=split,dump-guest-core=off,memory-backend=pc.ram,acpi=off', [
      '{"driver":"intel-iommu","id":"iommu0","intremap":"on","aw-bits":48}',
    ]);
    expect(vm.devices[0]!.pairs.at(-1)).to.deep.equal({ key: 'aw-bits', value: '48' });
  });

  for (const name of ['intel-iommu-eim-autoadd', 'intel-iommu-eim-autoadd-v2']) {
    it(`${name}: over 255 vCPUs libvirt adds (or completes) the Intel IOMMU with intremap and eim, and splits the I/O APIC`, () => {
      expectArgs(fixture(name), 'q35,usb=off,kernel_irqchip=split,dump-guest-core=off,memory-backend=pc.ram,acpi=off', [
        '{"driver":"intel-iommu","id":"iommu0","intremap":"on","eim":"on"}',
      ]);
    });
  }

  it('iommu-smmuv3 (aarch64): no -device, -machine iommu=smmuv3 after gic-version', () => {
    const vm = fixture('iommu-smmuv3');
    expectArgs(vm, 'virt,usb=off,gic-version=2,iommu=smmuv3,dump-guest-core=off,memory-backend=mach-virt.ram,acpi=off', []);
    expect(vm.machine.props.iommu).to.equal('smmuv3');
    expect(vm.accel).to.equal('tcg');
  });

  it('virtio-iommu-x86_64: driver virtio-iommu (QEMU makes a virtio-iommu-pci), integrated on pcie.0 slot 1, granule', () => {
    const vm = fixture('virtio-iommu-x86_64');
    expectArgs(vm, 'q35,usb=off,dump-guest-core=off,memory-backend=pc.ram,acpi=on', [
      '{"driver":"virtio-iommu","id":"iommu0","granule":"host","bus":"pcie.0","addr":"0x1"}',
    ]);
    expect(vm.devices[0]!.type).to.equal('virtio-iommu-pci');
  });

  it('virtio-iommu-aarch64: aw_bits on the virtio model', () => {
    expectArgs(fixture('virtio-iommu-aarch64'), 'virt-6.0,usb=off,gic-version=2,dump-guest-core=off,memory-backend=mach-virt.ram,acpi=on', [
      '{"driver":"virtio-iommu","id":"iommu0","aw-bits":48,"bus":"pcie.0","addr":"0x1"}',
    ]);
  });

  it('x86_64-q35-headless: one pcie-root-port per PCI Express device plus one spare, 8 functions of slot 1, port = slot << 3 | function', () => {
    const vm = parseLibvirtDomain(readFileSync(new URL('../../test/fixtures/libvirt/x86_64-q35-headless.xml', import.meta.url), 'utf8'), 'h.xml');
    expect(vm.devices.map((d) => d.location)).to.deep.equal([
      '-device {"driver":"pcie-root-port","port":8,"chassis":1,"id":"pci.1","bus":"pcie.0","multifunction":true,"addr":"0x1"}',
      '-device {"driver":"pcie-root-port","port":9,"chassis":2,"id":"pci.2","bus":"pcie.0","addr":"0x1.0x1"}',
      '-device {"driver":"pcie-root-port","port":10,"chassis":3,"id":"pci.3","bus":"pcie.0","addr":"0x1.0x2"}',
      '-device {"driver":"pcie-root-port","port":11,"chassis":4,"id":"pci.4","bus":"pcie.0","addr":"0x1.0x3"}',
      '-device {"driver":"pcie-root-port","port":12,"chassis":5,"id":"pci.5","bus":"pcie.0","addr":"0x1.0x4"}',
      '-device {"driver":"pcie-root-port","port":13,"chassis":6,"id":"pci.6","bus":"pcie.0","addr":"0x1.0x5"}',
      '-device {"driver":"pcie-root-port","port":14,"chassis":7,"id":"pci.7","bus":"pcie.0","addr":"0x1.0x6"}',
    ]);
    // the other devices of the .args, where libvirt put them (qemuDomainAssignDevicePCISlots order)
    expect(vm.notes).to.include.members([
      "<interface model='virtio'> is at pci.1 addr 0x0 (not part of the vIOMMU negotiation)",
      "<controller type='usb' index='0' model='qemu-xhci'> is at pci.2 addr 0x0 (not part of the vIOMMU negotiation)",
      "<controller type='virtio-serial'> is at pci.3 addr 0x0 (not part of the vIOMMU negotiation)",
      "<disk bus='virtio'> is at pci.4 addr 0x0 (not part of the vIOMMU negotiation)",
      "<memballoon model='virtio'> is at pci.5 addr 0x0 (not part of the vIOMMU negotiation)",
      '<rng> is at pci.6 addr 0x0 (not part of the vIOMMU negotiation)',
    ]);
    // QEMU's set_pci_devfn reads 0x1.0x1 (sscanf %x) as slot 1 function 1; the engine gets 1.1
    expect(vm.devices[1]!.pairs.find((p) => p.key === 'addr')?.value).to.equal('1.1');
  });

  it('aarch64-virt-headless: the same root ports on virt; a TCG guest gets gic-version=2; no default USB or memballoon on aarch64', () => {
    const vm = fixture('aarch64-virt-headless');
    expectArgs(
      vm,
      'virt-10.0,usb=off,gic-version=2,dump-guest-core=off,memory-backend=mach-virt.ram,acpi=on',
      [8, 9, 10, 11, 12, 13, 14].map(
        (port, i) => `{"driver":"pcie-root-port","port":${port},"chassis":${i + 1},"id":"pci.${i + 1}","bus":"pcie.0",${i === 0 ? '"multifunction":true,' : ''}"addr":"0x1${i ? `.0x${i}` : ''}"}`,
      ),
    );
    expect(vm.notes).to.include.members([
      "<interface model='virtio'> is at pci.1 addr 0x0 (not part of the vIOMMU negotiation)",
      "<controller type='usb' index='0' model='qemu-xhci'> is at pci.2 addr 0x0 (not part of the vIOMMU negotiation)",
      "<controller type='virtio-serial'> is at pci.3 addr 0x0 (not part of the vIOMMU negotiation)",
      "<disk bus='virtio'> is at pci.4 addr 0x0 (not part of the vIOMMU negotiation)",
      "<memballoon model='virtio'> is at pci.5 addr 0x0 (not part of the vIOMMU negotiation)",
      '<rng> is at pci.6 addr 0x0 (not part of the vIOMMU negotiation)',
    ]);
  });

  it('x86_64-q35-graphics: the primary video takes pcie.0 slot 1, so the root ports start at slot 2 (port 16)', () => {
    const vm = fixture('x86_64-q35-graphics');
    expect(vm.devices.map((d) => d.location)).to.deep.equal(
      [16, 17, 18, 19, 20, 21, 22].map(
        (port, i) => `-device {"driver":"pcie-root-port","port":${port},"chassis":${i + 1},"id":"pci.${i + 1}","bus":"pcie.0",${i === 0 ? '"multifunction":true,' : ''}"addr":"0x2${i ? `.0x${i}` : ''}"}`,
      ),
    );
    expect(vm.notes).to.include.members([
      "<video model='qxl'> is at pcie.0 addr 0x1 (not part of the vIOMMU negotiation)",
      "<interface model='virtio'> is at pci.1 addr 0x0 (not part of the vIOMMU negotiation)",
      "<controller type='usb' index='0' model='qemu-xhci'> is at pci.2 addr 0x0 (not part of the vIOMMU negotiation)",
      "<controller type='virtio-serial'> is at pci.3 addr 0x0 (not part of the vIOMMU negotiation)",
      "<disk bus='virtio'> is at pci.4 addr 0x0 (not part of the vIOMMU negotiation)",
      "<memballoon model='virtio'> is at pci.5 addr 0x0 (not part of the vIOMMU negotiation)",
      '<rng> is at pci.6 addr 0x0 (not part of the vIOMMU negotiation)',
    ]);
  });

  it('x86_64-pc-graphics: on pc the primary video takes slot 2, then the devices fill pci.0 in libvirt\'s order', () => {
    const vm = fixture('x86_64-pc-graphics');
    expectArgs(vm, 'pc,usb=off,dump-guest-core=off,memory-backend=pc.ram,hpet=off,acpi=on', []);
    expect(vm.notes).to.include.members([
      "<video model='qxl'> is at pci.0 addr 0x2 (not part of the vIOMMU negotiation)",
      "<interface model='virtio'> is at pci.0 addr 0x3 (not part of the vIOMMU negotiation)",
      "<controller type='usb' index='0' model='qemu-xhci'> is at pci.0 addr 0x4 (not part of the vIOMMU negotiation)",
      "<controller type='virtio-serial'> is at pci.0 addr 0x5 (not part of the vIOMMU negotiation)",
      "<disk bus='virtio'> is at pci.0 addr 0x6 (not part of the vIOMMU negotiation)",
      "<memballoon model='virtio'> is at pci.0 addr 0x7 (not part of the vIOMMU negotiation)",
      '<rng> is at pci.0 addr 0x8 (not part of the vIOMMU negotiation)',
    ]);
  });

  it('hostdev-vfio (pc): vfio-pci from slot 2 of pci.0 (slot 1 is the PIIX3), the memballoon after the hostdevs', () => {
    const vm = fixture('hostdev-vfio');
    expectArgs(vm, 'pc,usb=off,dump-guest-core=off,memory-backend=pc.ram,acpi=off', [
      '{"driver":"vfio-pci","host":"0000:06:12.1","id":"hostdev0","bus":"pci.0","addr":"0x2"}',
      '{"driver":"vfio-pci","host":"0000:06:12.2","id":"hostdev1","bus":"pci.0","addr":"0x3"}',
      '{"driver":"vfio-pci","host":"0000:06:12.3","id":"hostdev2","bus":"pci.0","addr":"0x4"}',
      '{"driver":"vfio-pci","host":"0000:06:12.4","id":"hostdev3","bus":"pci.0","addr":"0x5"}',
    ]);
    expect(vm.notes).to.include("<memballoon model='virtio'> is at pci.0 addr 0x6 (not part of the vIOMMU negotiation)");
  });
});

describe('libvirt refuses before QEMU runs: libvirt\'s message (tests/qemuxmlconfdata/*.err)', () => {
  const refused = (devices: string, machine = 'q35') =>
    () => parseLibvirtDomain(`<domain type='qemu'><os><type arch='x86_64' machine='${machine}'>hvm</type></os><devices>${devices}</devices></domain>`, 'd.xml');

  it('virtio-iommu-wrong-machine', () => {
    expect(refused("<iommu model='virtio'/>", 'pc')).to.throw(
      InputError,
      "d.xml: libvirt refuses this domain: unsupported configuration: IOMMU device: 'virtio' is only supported with Q35 and ARM Virt machines",
    );
  });
  it('virtio-iommu-invalid-address-type', () => {
    expect(refused("<iommu model='virtio'><address type='virtio-mmio'/></iommu>")).to.throw(
      InputError,
      "d.xml: libvirt refuses this domain: unsupported configuration: IOMMU device: 'virtio' needs a PCI address",
    );
  });
  it('virtio-iommu-invalid-address', () => {
    expect(refused("<iommu model='virtio'><address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></iommu>")).to.throw(
      InputError,
      'd.xml: libvirt refuses this domain: XML error: The device at PCI address 0000:01:00.0 needs to be an integrated device (bus=0)',
    );
  });
  it('virtio-iommu-dma-translation', () => {
    expect(refused("<iommu model='virtio'><driver dma_translation='off'/></iommu>")).to.throw(
      InputError,
      "d.xml: libvirt refuses this domain: XML error: iommu model 'virtio' doesn't support some additional attributes",
    );
  });
});

describe('libvirt PCI address assignment (src/qemu/qemu_domain_address.c)', () => {
  it('a q35 hostdev without <address> gets its own root port, after the default USB controller (controllers come first), before the memballoon, plus one spare port', () => {
    const vm = parseLibvirtDomain(
      `<domain type='kvm'><os><type arch='x86_64' machine='pc-q35-9.1'>hvm</type></os><features><ioapic driver='qemu'/></features><devices>
        <iommu model='intel'><driver intremap='on' caching_mode='on'/></iommu>
        <hostdev mode='subsystem' type='pci' managed='yes'><driver iommufd='yes'/><source><address domain='0x0000' bus='0x17' slot='0x00' function='0x1'/></source></hostdev>
      </devices></domain>`,
      'guest.xml',
    );
    expect(vm.machine).to.deep.equal({
      type: 'pc-q35-9.1',
      props: { usb: 'off', 'kernel-irqchip': 'split', 'dump-guest-core': 'off' },
      text: '-machine pc-q35-9.1,usb=off,kernel_irqchip=split,dump-guest-core=off',
    });
    expect(vm.devices.map((d) => d.location)).to.deep.equal([
      '-device {"driver":"intel-iommu","id":"iommu0","intremap":"on","caching-mode":true}',
      '-device {"driver":"pcie-root-port","port":8,"chassis":1,"id":"pci.1","bus":"pcie.0","multifunction":true,"addr":"0x1"}',
      '-device {"driver":"pcie-root-port","port":9,"chassis":2,"id":"pci.2","bus":"pcie.0","addr":"0x1.0x1"}',
      '-device {"driver":"pcie-root-port","port":10,"chassis":3,"id":"pci.3","bus":"pcie.0","addr":"0x1.0x2"}',
      '-device {"driver":"pcie-root-port","port":11,"chassis":4,"id":"pci.4","bus":"pcie.0","addr":"0x1.0x3"}',
      '-device {"driver":"vfio-pci","host":"0000:17:00.1","id":"hostdev0","bus":"pci.2","addr":"0x0","iommufd":"iommufd0"}',
    ]);
    expect(vm.objects.map((o) => o.location)).to.deep.equal(['-object {"qom-type":"iommufd","id":"iommufd0"}']);
    expect(vm.notes).to.include.members([
      "<controller type='usb'> is at pci.1 addr 0x0 (not part of the vIOMMU negotiation)",
      "<memballoon model='virtio'> is at pci.3 addr 0x0 (not part of the vIOMMU negotiation)",
    ]);
  });

  it('hostdevN counts every hostdev: <interface type="hostdev"> first, then each <hostdev> of any type (qemuAssignDeviceAliases)', () => {
    const vm = parseLibvirtDomain(
      `<domain type='kvm'><os><type arch='x86_64' machine='pc'>hvm</type></os><devices><memballoon model='none'/>
        <hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product id='0xbeef'/></source></hostdev>
        <hostdev mode='subsystem' type='pci'><source><address bus='0x06' slot='0x00' function='0x1'/></source></hostdev>
        <interface type='hostdev'><source><address type='pci' domain='0x0000' bus='0x81' slot='0x10' function='0x2'/></source></interface>
      </devices></domain>`,
      'd.xml',
    );
    expect(vm.devices.map((d) => d.location)).to.deep.equal([
      '-device {"driver":"vfio-pci","host":"0000:81:10.2","id":"hostdev0","bus":"pci.0","addr":"0x2"}',
      '-device {"driver":"vfio-pci","host":"0000:06:00.1","id":"hostdev2","bus":"pci.0","addr":"0x3"}',
    ]);
    expect(vm.notes).to.include("ignored <hostdev type='usb'> #1");
  });

  it('explicit addresses are kept, and the controllers they name are used as given', () => {
    const vm = parseLibvirtDomain(
      `<domain type='kvm'><os><type arch='x86_64' machine='q35'>hvm</type></os><devices>
        <controller type='usb' model='none'/><memballoon model='none'/>
        <controller type='pci' index='0' model='pcie-root'/>
        <controller type='pci' index='2' model='pcie-to-pci-bridge'><address type='pci' bus='0x01' slot='0x00' function='0x0'/></controller>
        <controller type='pci' index='1' model='pcie-root-port'><target chassis='5' port='0x10'/><address type='pci' bus='0x00' slot='0x02' function='0x0'/></controller>
        <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x17' slot='0x00' function='0x1'/></source><address type='pci' bus='0x02' slot='0x01' function='0x0'/></hostdev>
      </devices></domain>`,
      'guest.xml',
    );
    expect(vm.devices.map((d) => d.location)).to.deep.equal([
      '-device {"driver":"pcie-root-port","port":16,"chassis":5,"id":"pci.1","bus":"pcie.0","addr":"0x2"}',
      '-device {"driver":"pcie-pci-bridge","id":"pci.2","bus":"pci.1","addr":"0x0"}',
      '-device {"driver":"vfio-pci","host":"0000:17:00.1","id":"hostdev0","bus":"pci.2","addr":"0x1"}',
    ]);
  });
});

describe('libvirt domain XML: bad input', () => {
  it('refuses what is not a domain, or not XML, naming the file', () => {
    expect(() => parseLibvirtDomain('<network/>', 'n.xml')).to.throw(InputError, 'n.xml: not a libvirt domain (root element is <network>)');
    expect(() => parseLibvirtDomain('<domain><devices><iommu model="amd-vi"/></devices></domain>', 'd.xml')).to.throw(
      InputError,
      "d.xml: <iommu model='amd-vi'> (#1) is not an IOMMU model viommu reads (intel, smmuv3, virtio)",
    );
    expect(() => parseLibvirtDomain('<domain', 'x.xml')).to.throw(InputError, /^x\.xml: not well-formed XML/);
    expect(() => parseLibvirtDomain(' \n', 'e.xml')).to.throw(InputError, 'e.xml: empty file (expected a libvirt domain XML)');
    expect(() => parseLibvirtDomain("<domain type='kvm'>\n  <devices>\n", 'cut.xml')).to.throw(InputError, 'cut.xml: not well-formed XML: <domain>, <devices> not closed at the end (cut short?)');
    expect(() => parseLibvirtDomain('<domain>\n<devices></domain>', 'm.xml')).to.throw(
      InputError,
      "m.xml: not well-formed XML: Expected closing tag 'devices' (opened in line 2, col 1) instead of closing tag 'domain' (line 2, column 10)",
    );
  });

  it('names the element and attribute of a value libvirt cannot read', () => {
    const dom = (devices: string) => `<domain><os><type arch='x86_64' machine='q35'>hvm</type></os><devices>${devices}</devices></domain>`;
    expect(() => parseLibvirtDomain(dom("<iommu model='intel'><driver caching_mode='yes'/></iommu>"), 'd.xml')).to.throw(
      InputError,
      "d.xml: <iommu model='intel'><driver caching_mode='yes'>: libvirt takes 'on' or 'off'",
    );
    expect(() => parseLibvirtDomain(dom("<iommu model='smmuv3'><driver oas='4x'/></iommu>").replace("'x86_64' machine='q35'", "'aarch64' machine='virt'"), 'd.xml')).to.throw(
      InputError,
      "d.xml: <iommu model='smmuv3'><driver oas='4x'>: not a number",
    );
    expect(() => parseLibvirtDomain(dom("<hostdev mode='subsystem' type='pci'><source><address bus='0xzz'/></source></hostdev>"), 'd.xml')).to.throw(
      InputError,
      "d.xml: <hostdev type='pci'> #1 <source><address>: bus='0xzz' is not a number",
    );
    expect(() => parseLibvirtDomain(dom("<hostdev mode='subsystem' type='pci'/>"), 'd.xml')).to.throw(InputError, "d.xml: <hostdev type='pci'> #1 has no <source><address>");
    expect(() => parseLibvirtDomain(dom("<controller type='pci' index='1' model='pcie-root-bridge'/>"), 'd.xml')).to.throw(
      InputError,
      "d.xml: <controller type='pci' model='pcie-root-bridge'> (#1) is not a PCI controller model libvirt has",
    );
  });

  it("refuses a hostdev driver other than vfio with qemuBuildPCIHostdevDevProps' message", () => {
    const xml = "<domain><os><type arch='x86_64' machine='q35'>hvm</type></os><devices><hostdev mode='subsystem' type='pci'><driver name='kvm'/><source><address bus='0x01'/></source></hostdev></devices></domain>";
    expect(() => parseLibvirtDomain(xml, 'd.xml')).to.throw(InputError, "d.xml: libvirt refuses this domain: internal error: invalid PCI passthrough type 'kvm'");
  });

  it('is deterministic and keeps bit-exact host addresses (domain 0xffff, bus 0xff)', () => {
    const xml = "<domain type='kvm'><os><type arch='aarch64' machine='virt'>hvm</type></os><devices><hostdev mode='subsystem' type='pci'><source><address domain='0xffff' bus='0xff' slot='0x1f' function='0x7'/></source></hostdev></devices></domain>";
    const a = parseLibvirtDomain(xml, 'd.xml');
    expect(a).to.deep.equal(parseLibvirtDomain(xml, 'd.xml'));
    expect(a.devices.at(-1)!.location).to.equal('-device {"driver":"vfio-pci","host":"ffff:ff:1f.7","id":"hostdev0","bus":"pci.1","addr":"0x0"}');
  });
});

describe('viommu check --libvirt', () => {
  const dir = mkdtempSync(join(tmpdir(), 'viommu-libvirt-'));
  const file = (name: string, xml: string) => {
    writeFileSync(join(dir, name), xml);
    return join(dir, name);
  };

  it("QEMU's message names the -device as libvirt passed it: JSON, on the root port libvirt added", () => {
    // libvirt's own log of this refusal reads "qemu-system-x86_64: -device {"driver":"vfio-pci",
    // "host":"0000:03:00.0","id":"hostdev0","bus":"pci.5","addr":"0x0"}: vfio 0000:03:00.0: Failed to
    // set vIOMMU: aw-bits 48 > host aw-bits 39"; QEMU 7.2 and 10.0 echo a JSON -device the same way
    const xml = file(
      'vm.xml',
      `<domain type='kvm'><name>vm</name><os><type arch='x86_64' machine='q35'>hvm</type></os>
        <devices><iommu model='intel'><driver caching_mode='on'/></iommu>
        <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x02' slot='0x00' function='0x0'/></source></hostdev>
        </devices></domain>`,
    );
    const r = viommu(['check', '--host', 'intel-001', '--qemu', '10.0', '--no-trace', '--libvirt', xml]);
    expect(r.code).to.equal(1);
    expect(r.out.split('\n')[1]).to.equal(
      'qemu-system-x86_64: -device {"driver":"vfio-pci","host":"0000:02:00.0","id":"hostdev0","bus":"pci.2","addr":"0x0"}: vfio 0000:02:00.0: Failed to set vIOMMU: aw-bits 48 > host aw-bits 39',
    );
  });

  it('virtio-iommu-x86_64 on QEMU 7.2 and 10.0: what qemu-system-x86_64 says to the same command line (7.2 has no granule)', () => {
    const xml = fileURLToPath(new URL('../../test/fixtures/libvirt/virtio-iommu-x86_64.xml', import.meta.url));
    const old = viommu(['check', '--host', 'intel-068', '--qemu', '7.2', '--no-trace', '--libvirt', xml]);
    expect(old.code).to.equal(1);
    expect(old.out.split('\n')[1]).to.equal(
      `qemu-system-x86_64: -device {"driver":"virtio-iommu","id":"iommu0","granule":"host","bus":"pcie.0","addr":"0x1"}: Property 'virtio-iommu-pci.granule' not found`,
    );
    const now = viommu(['check', '--host', 'intel-068', '--qemu', '10.0', '--no-trace', '--libvirt', xml]);
    expect(now.code, now.out).to.equal(0);
    expect(now.out).to.match(/^vIOMMU virtio-iommu-pci id=iommu0: /m);
  });

  it("a domain libvirt refuses is bad input: exit 2, libvirt's message, one line", () => {
    const xml = file('pc.xml', "<domain type='kvm'><os><type arch='x86_64' machine='pc'>hvm</type></os><devices><iommu model='virtio'/></devices></domain>");
    const r = viommu(['check', '--host', 'intel-001', '--libvirt', xml]);
    expect(r.code).to.equal(2);
    expect(r.err).to.equal(`viommu: ${xml}: libvirt refuses this domain: unsupported configuration: IOMMU device: 'virtio' is only supported with Q35 and ARM Virt machines\n`);
  });
});
