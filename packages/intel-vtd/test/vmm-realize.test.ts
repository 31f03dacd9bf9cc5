import { expect } from 'chai';
import { QemuError, type ProfileId } from '@viommu/core';
import { IntelIommuPlugin, vtdProperties } from '../src/index.js';
import { q35Machine, realizeCtx } from './helpers.js';

const plugin = new IntelIommuPlugin();

function refusal(profile: ProfileId, options: string, machine = q35Machine()): QemuError {
  try {
    plugin.realize(realizeCtx(profile, machine, options));
  } catch (e) {
    if (e instanceof QemuError) return e;
    throw e;
  }
  throw new Error(`-device intel-iommu,${options} was accepted in ${profile}`);
}

describe('intel-iommu machine rules', () => {
  it('q35 only (machine_class_allow_dynamic_sysbus_dev), every profile', () => {
    for (const p of ['7.2', '10.0', '10.2', 'upstream'] as const) {
      expect(refusal(p, '', q35Machine({ family: 'pc' })).message).to.equal("Parameter 'driver' expects a dynamic sysbus device type for the machine");
    }
  });
  it('one x86 vIOMMU per machine (pc_machine_device_pre_plug_cb)', () => {
    for (const typeName of ['intel-iommu', 'amd-iommu', 'virtio-iommu-pci']) {
      const e = refusal('10.0', '', q35Machine({ viommus: [{ typeName }] }));
      expect(e.message).to.equal('QEMU does not support multiple vIOMMUs for x86 yet.');
      expect(e.stage).to.equal('machine');
    }
  });
  it('installs its ops on pcie.0', () => {
    const m = q35Machine();
    const dev = plugin.realize(realizeCtx('10.2', m, ''));
    expect(m.rootBus.iommuOps).to.equal(dev.ops);
  });
  it('a bad -global is reported as QEMU applies globals', () => {
    const e = refusal('7.2', '', q35Machine({ globals: { 'intel-iommu': { 'aw-bits': 'x' } } }));
    expect(e.message).to.equal("can't apply global intel-iommu.aw-bits=x: Parameter 'aw-bits' expects uint64");
  });
});

describe('intel-iommu realize checks per profile (QEMU order and text)', () => {
  it('10.0: first-stage needs scalable mode; aw-bits wording by mode', () => {
    expect(refusal('10.0', 'x-flts=on').message).to.equal('x-flts is only available in scalable mode');
    expect(refusal('10.0', 'aw-bits=40').message).to.equal('Legacy mode: supported values for aw-bits are: 39, 48');
    expect(refusal('10.0', 'x-scalable-mode=on,aw-bits=40').message).to.equal('Scalable mode(flts=off): supported values for aw-bits are: 39, 48');
    expect(refusal('10.0', 'x-scalable-mode=on,x-flts=on,aw-bits=39').message).to.equal('Scalable mode(flts=on): supported value for aw-bits is: 48');
  });
  it('10.0 accepts eim=on under TCG (the kernel-irqchip=split rule is 7.2 only)', () => {
    expect(() => plugin.realize(realizeCtx('10.0', q35Machine(), 'eim=on'))).to.not.throw();
    expect(refusal('7.2', 'eim=on').message).to.equal('eim=on requires accel=kvm,kernel-irqchip=split');
  });
  it('7.2 order: E1 before everything in vtd_decide_config', () => {
    expect(refusal('7.2', 'intremap=off,eim=on,x-pasid-mode=on,device-iotlb=on').message).to.equal('PASID based device IOTLB is not supported');
    expect(refusal('7.2', 'eim=on,aw-bits=40').message).to.equal('eim=on requires accel=kvm,kernel-irqchip=split');
    expect(refusal('7.2', 'aw-bits=40,x-scalable-mode=on,dma-drain=off').message).to.equal('Supported values for aw-bits are: 39, 48');
  });
  it('pc-q35-3.1 turns dma-drain off, so scalable mode fails (pc_compat_3_1)', () => {
    expect(refusal('7.2', 'x-scalable-mode=on', q35Machine({ compat: [3, 1] })).message).to.equal('Need to set dma_drain for scalable mode');
  });
  it('upstream: renamed properties, PASID + device-IOTLB allowed, svm rules', () => {
    expect(refusal('upstream', 'fsts=on').message).to.equal('fsts is only available in scalable mode');
    expect(refusal('upstream', 'scalable-mode=on,fsts=on,aw-bits=39').message).to.equal('Scalable mode(fsts=on): supported value for aw-bits is: 48');
    expect(refusal('upstream', 'x-scalable-mode=on').message).to.equal("Property 'intel-iommu.x-scalable-mode' not found");
    expect(() => plugin.realize(realizeCtx('upstream', q35Machine(), 'scalable-mode=on,pasid-bits=8,device-iotlb=on'))).to.not.throw();
    expect(refusal('upstream', 'svm=on').message).to.equal('Need to set device IOTLB for svm');
    expect(refusal('upstream', 'svm=on,device-iotlb=on').message).to.equal('Need to set fsts for svm');
    expect(refusal('upstream', 'svm=on,device-iotlb=on,scalable-mode=on,fsts=on,dma-translation=off').message).to.equal('Need to set dma-translation for svm');
    expect(refusal('upstream', 'svm=on,device-iotlb=on,scalable-mode=on,fsts=on').message).to.equal('Need to set PASID support for svm');
    expect(refusal('upstream', 'pasid-bits=8').message).to.equal('Need to set scalable mode for PASID');
  });
  it('KVM kernel-irqchip=on: intremap=auto resolves off, intremap=on is refused (all profiles)', () => {
    for (const p of ['10.0', 'upstream'] as const) {
      const dev = plugin.realize(realizeCtx(p, q35Machine({ accel: 'kvm' }), ''));
      expect(dev.registers().ecap! & (1n << 3n)).to.equal(0n);
      expect(refusal(p, 'intremap=on', q35Machine({ accel: 'kvm', kernelIrqchip: 'on' })).message).to.equal(
        "Interrupt Remapping cannot work with kernel-irqchip=on, please use 'split|off'.",
      );
    }
  });
});

describe('machine-type compat and -global against QEMU 7.2 and 10.0 runs', () => {
  const regs = (p: ProfileId, options: string, machine = q35Machine()) => {
    const r = plugin.realize(realizeCtx(p, machine, options)).registers();
    return [r.cap, r.ecap];
  };
  it('pc-q35-9.1 on 10.0: aw-bits 39 (CAP 0xd2008c22260206)', () => {
    expect(regs('10.0', '', q35Machine({ compat: [9, 1] }))).to.deep.equal([0xd2008c22260206n, 0xf00f4an]);
  });
  it('pc-q35-2.7: dma-drain off, pt off, x-buggy-eim on (CAP 0x12008c22260206, ECAP 0xf00f1a with intremap=on,eim=on)', () => {
    for (const p of ['7.2', '10.0'] as const) {
      expect(regs(p, 'intremap=on,eim=on', q35Machine({ compat: [2, 7] }))).to.deep.equal([0x12008c22260206n, 0xf00f1an]);
    }
  });
  it('a -global value goes through the same realize checks', () => {
    const m = () => q35Machine({ globals: { 'intel-iommu': { 'aw-bits': '40' } } });
    expect(refusal('7.2', '', m()).message).to.equal('Supported values for aw-bits are: 39, 48');
    expect(refusal('10.0', '', m()).message).to.equal('Legacy mode: supported values for aw-bits are: 39, 48');
    expect(refusal('10.0', '', q35Machine({ globals: { 'intel-iommu': { nosuch: '1' } } })).message).to.equal(
      "can't apply global intel-iommu.nosuch=1: Property 'intel-iommu.nosuch' not found",
    );
  });
});

describe('intel-iommu properties per profile', () => {
  const names = (p: ProfileId) => vtdProperties(p).map((d) => d.name).sort();
  it('10.0 has exactly the properties of `-device intel-iommu,help` (QEMU 10.0.2)', () => {
    expect(names('10.0')).to.deep.equal(
      ['aw-bits', 'caching-mode', 'device-iotlb', 'dma-drain', 'dma-translation', 'eim', 'fs1gp', 'intremap', 'pt', 'snoop-control', 'stale-tm', 'version', 'x-buggy-eim', 'x-flts', 'x-pasid-mode', 'x-scalable-mode'],
    );
  });
  it('7.2 defaults: aw-bits 39; 10.x: 48', () => {
    expect(vtdProperties('7.2').find((d) => d.name === 'aw-bits')!.default).to.equal(39);
    expect(vtdProperties('10.2').find((d) => d.name === 'aw-bits')!.default).to.equal(48);
  });
  it('upstream drops x-buggy-eim, dma-drain and pt, adds svm and pasid-bits (uint8)', () => {
    const n = names('upstream');
    for (const gone of ['x-buggy-eim', 'dma-drain', 'pt', 'x-flts', 'x-pasid-mode']) expect(n).to.not.include(gone);
    expect(vtdProperties('upstream').find((d) => d.name === 'pasid-bits')!.type).to.equal('uint8');
    expect(n).to.include('svm');
  });
});
