import { expect } from 'chai';
import { ArmSmmuV3Plugin, decodeSmmuIdRegs } from '../src/index.js';
import { realizeCtx, virtMachine } from './helpers.js';

const plugin = new ArmSmmuV3Plugin();

/**
 * Read from Debian's qemu-system-aarch64 7.2.22: `-machine <type>,iommu=smmuv3 -accel tcg -S
 * -qtest stdio -display none -nodefaults`, `readl 0x09050000` … `readl 0x0905001c`.
 */
const QEMU_7_2_READ = { idr0: 0x0d40101an, idr1: 0x02730010n, idr2: 0n, idr3: 0x1404n, idr4: 0n, idr5: 0x74n, iidr: 0n, aidr: 0x1n };

function machineRegs(profile: '7.2' | '10.0' | '10.2' | 'upstream', typeName: string, compat: [number, number] | null, globals = {}) {
  const m = virtMachine({ typeName, compat, props: { iommu: 'smmuv3' }, globals: { 'arm-smmuv3': globals } });
  return plugin.realize(realizeCtx(profile, m, '', true)).registers();
}

describe('guest-visible ID registers', () => {
  describe('profile 7.2 (values read from the 7.2 binary)', () => {
    for (const [type, compat] of [['virt', null], ['virt-7.2', [7, 2]], ['virt-6.2', [6, 2]], ['virt-5.0', [5, 0]], ['virt-2.6', [2, 6]]] as const) {
      it(`-machine ${type},iommu=smmuv3`, () => {
        expect(machineRegs('7.2', type, compat as [number, number] | null)).to.deep.equal(QEMU_7_2_READ);
      });
    }
    it('-global arm-smmuv3.bus_num=0x10 changes no register', () => {
      expect(machineRegs('7.2', 'virt', null, { bus_num: '0x10' })).to.deep.equal(QEMU_7_2_READ);
    });
  });

  describe('profile 10.0 (smmuv3_init_regs of v10.0.0; the machine decides the stage)', () => {
    it('virt-9.1: IDR0 = 7.2 | VMID16(bit 18) = 0x0d44101a, IDR3 = HAD|RIL|BBML=2 = 0x1404', () => {
      const r = machineRegs('10.0', 'virt-9.1', [9, 1]);
      expect(r.idr0).to.equal(0x0d44101an);
      expect(r.idr3).to.equal(0x1404n);
    });
    it('virt (latest, ≥ 9.2 forces stage=nested): IDR0 = 0x0d44101a | S2P(bit 0) = 0x0d44101b, IDR3 = 0x1404 | XNX(bit 4) = 0x1414', () => {
      const r = machineRegs('10.0', 'virt', null);
      expect([r.idr0, r.idr3]).to.deep.equal([0x0d44101bn, 0x1414n]);
    });
    it('virt forces nested over -global arm-smmuv3.stage=2 (create_smmu sets it after the globals)', () => {
      expect(machineRegs('10.0', 'virt-9.2', [9, 2], { stage: '2' }).idr0).to.equal(0x0d44101bn);
    });
    it('virt-9.1 + -global stage=2: S2P(bit 0) without S1P(bit 1) → IDR0 0x0d441019, XNX → IDR3 0x1414', () => {
      const r = machineRegs('10.0', 'virt-9.1', [9, 1], { stage: '2' });
      expect([r.idr0, r.idr3]).to.deep.equal([0x0d441019n, 0x1414n]);
    });
    it('virt-9.1 + -global stage=nested: S1P|S2P → 0x0d44101b', () => {
      expect(machineRegs('10.0', 'virt-9.1', [9, 1], { stage: 'nested' }).idr0).to.equal(0x0d44101bn);
    });
    it('virt-9.1 + -global stage=S2 (a typo) silently means stage 1: 0x0d44101a', () => {
      expect(machineRegs('10.0', 'virt-9.1', [9, 1], { stage: 'S2' }).idr0).to.equal(0x0d44101an);
    });
    it('IDR1 = SIDSIZE 16 | EVENTQS 19<<16 | CMDQS 19<<21 = 0x02730010; IDR5 = OAS 4 (44-bit) | GRAN4K|16K|64K (bits 4..6) = 0x74; AIDR = 1 (SMMUv3.1)', () => {
      const r = machineRegs('10.0', 'virt', null);
      expect([r.idr1, r.idr5, r.aidr, r.iidr, r.idr2, r.idr4]).to.deep.equal([0x02730010n, 0x74n, 1n, 0n, 0n, 0n]);
    });
  });

  describe('profile upstream, -device arm-smmuv3 (smmuv3_init_id_regs + smmuv3_accel_idr_override)', () => {
    const dev = (opts: string) =>
      plugin.realize(realizeCtx('upstream', virtMachine({ accel: 'kvm' }), `primary-bus=pcie.0,${opts}`)).registers();
    it('stage 1 default: IDR0 = S1P(0x2)|TTF=2(0x8)|COHACC(0x10)|ASID16(0x1000)|VMID16(0x40000)|TTENDIAN=2(0x400000)|STALL_MODEL=1(0x1000000)|TERM_MODEL(0x4000000)|STLEVEL=1(0x8000000) = 0x0d44101a', () => {
      expect(dev('id=s0').idr0).to.equal(0x0d44101an);
    });
    it('accel=on,ats=on: IDR0.ATS (bit 10) → 0x0d44141a', () => {
      expect(dev('accel=on,ats=on').idr0).to.equal(0x0d44141an);
    });
    it('accel=on,ril=off: IDR3.RIL (bit 10) cleared → 0x1004', () => {
      expect(dev('accel=on,ril=off').idr3).to.equal(0x1004n);
    });
    it('accel=on,oas=48: IDR5.OAS = 5 → 0x75', () => {
      expect(dev('accel=on,oas=48').idr5).to.equal(0x75n);
    });
    it('accel=on,ssidsize=16: IDR1.SSIDSIZE (bits 6..10) = 16 → 0x02730410; 20 → 0x02730510', () => {
      expect(dev('accel=on,ssidsize=16').idr1).to.equal(0x02730410n);
      expect(dev('accel=on,ssidsize=20').idr1).to.equal(0x02730510n);
    });
    it('accel=on alone keeps the accel=off values (ril defaults on, ats off, oas 44, ssidsize 0)', () => {
      expect(dev('accel=on')).to.deep.equal(dev(''));
    });
  });

  it('decodes every named field', () => {
    const d = decodeSmmuIdRegs(QEMU_7_2_READ);
    expect(d.idr0).to.include({ S1P: 1, S2P: 0, TTF: 2, COHACC: 1, ASID16: 1, VMID16: 0, TTENDIAN: 2, STALL_MODEL: 1, TERM_MODEL: 1, STLEVEL: 1 });
    expect(d.idr1).to.include({ SIDSIZE: 16, SSIDSIZE: 0, EVENTQS: 19, CMDQS: 19 });
    expect(d.idr3).to.include({ HAD: 1, RIL: 1, BBML: 2, XNX: 0 });
    expect(d.idr5).to.include({ OAS: 4, GRAN4K: 1, GRAN16K: 1, GRAN64K: 1 });
    expect(d.aidr).to.include({ ARCHMINORREV: 1, ARCHMAJORREV: 0 });
  });
});
