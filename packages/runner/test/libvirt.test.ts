import { expect } from 'chai';
import { InputError } from '@viommu/core';
import { parseLibvirtDomain } from '../src/input/libvirt.js';

const DOMAIN = `<?xml version="1.0"?>
<domain type='kvm'>
  <name>guest</name>
  <os><type arch='x86_64' machine='pc-q35-9.1'>hvm</type></os>
  <features><ioapic driver='qemu'/></features>
  <devices>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='2' model='pcie-to-pci-bridge'><address type='pci' bus='0x01' slot='0x00' function='0x0'/></controller>
    <controller type='pci' index='1' model='pcie-root-port'><address type='pci' bus='0x00' slot='0x02' function='0x0'/></controller>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <driver iommufd='yes'/>
      <source><address domain='0x0000' bus='0x17' slot='0x00' function='0x1'/></source>
      <address type='pci' bus='0x02' slot='0x01' function='0x0'/>
    </hostdev>
    <iommu model='intel'><driver intremap='on' caching_mode='on' aw_bits='48' iotlb='off'/></iommu>
  </devices>
</domain>`;

describe('libvirt domain XML', () => {
  it('maps to the QEMU command line libvirt would emit', () => {
    const vm = parseLibvirtDomain(DOMAIN, 'guest.xml');
    expect(vm.machine).to.deep.equal({ type: 'pc-q35-9.1', props: { 'kernel-irqchip': 'split' }, text: '-machine pc-q35-9.1,kernel-irqchip=split' });
    expect(vm.accel).to.equal('kvm');
    expect(vm.objects.map((o) => o.location)).to.deep.equal(['-object iommufd,id=iommufd0']);
    expect(vm.devices.map((d) => d.location)).to.deep.equal([
      '-device intel-iommu,intremap=on,caching-mode=on,device-iotlb=off,aw-bits=48',
      '-device pcie-root-port,id=pci.1,bus=pcie.0,addr=0x2.0',
      '-device pcie-pci-bridge,id=pci.2,bus=pci.1,addr=0x0.0',
      '-device vfio-pci,host=0000:17:00.1,id=hostdev0,bus=pci.2,addr=0x1.0,iommufd=iommufd0',
    ]);
  });

  it('smmuv3 without driver options is the machine SMMU', () => {
    const vm = parseLibvirtDomain("<domain type='kvm'><os><type arch='aarch64' machine='virt'>hvm</type></os><devices><iommu model='smmuv3'/></devices></domain>", 'd.xml');
    expect(vm.machine.props).to.deep.equal({ iommu: 'smmuv3' });
    expect(vm.devices).to.deep.equal([]);
  });

  it('refuses what is not a domain, or not XML, naming the file', () => {
    expect(() => parseLibvirtDomain('<network/>', 'n.xml')).to.throw(InputError, 'n.xml: not a libvirt domain (root element is <network>)');
    expect(() => parseLibvirtDomain('<domain><devices><iommu model="amd-vi"/></devices></domain>', 'd.xml')).to.throw(InputError, "d.xml: <iommu model='amd-vi'> is not an IOMMU model libvirt has");
    expect(() => parseLibvirtDomain('<domain', 'x.xml')).to.throw(InputError, /^x\.xml: not well-formed XML/);
    expect(() => parseLibvirtDomain(' \n', 'e.xml')).to.throw(InputError, 'e.xml: empty file (expected a libvirt domain XML)');
    expect(() => parseLibvirtDomain("<domain type='kvm'>\n  <devices>\n", 'cut.xml')).to.throw(InputError, 'cut.xml: not well-formed XML: <domain>, <devices> not closed at the end (cut short?)');
    expect(() => parseLibvirtDomain('<domain>\n<devices></domain>', 'm.xml')).to.throw(
      InputError,
      "m.xml: not well-formed XML: Expected closing tag 'devices' (opened in line 2, col 1) instead of closing tag 'domain' (line 2, column 10)",
    );
  });
});
