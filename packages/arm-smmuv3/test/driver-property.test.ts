import { expect } from 'chai';
import fc from 'fast-check';
import { KernelError, kernelFeatures } from '@viommu/core';
import { ArmSmmuV3Driver, SMMU_ID_REGISTERS, type SmmuIdRegs } from '../src/index.js';

const u32 = fc.bigInt({ min: 0n, max: 0xffffffffn });
const regsArb = fc.tuple(u32, u32, u32, u32, u32, u32, u32, u32).map((v) => Object.fromEntries(SMMU_ID_REGISTERS.map((n, i) => [n, v[i]!])) as SmmuIdRegs);

describe('arm-smmu-v3 driver over arbitrary 32-bit registers (fast-check)', () => {
  it('probe binds or refuses with ENODEV; when bound, hw_info returns the registers bit for bit', () => {
    const driver = new ArmSmmuV3Driver();
    fc.assert(
      fc.property(regsArb, (regs) => {
        let inst;
        try {
          inst = driver.probe({ name: 'smmu', vendor: 'arm', registers: regs }, kernelFeatures('6.18.0'), '');
        } catch (e) {
          expect(e).to.be.instanceOf(KernelError);
          expect((e as KernelError).errno).to.equal('ENODEV');
          return;
        }
        const hw = inst.hwInfo!({ bdf: '0000:01:00.0', unit: 'smmu', group: 1, driver: 'vfio-pci' }, 0).data;
        expect(hw).to.deep.equal({ type: 2, flags: 0, idr: [regs.idr0, regs.idr1, regs.idr2, regs.idr3, regs.idr4, regs.idr5], iidr: regs.iidr, aidr: regs.aidr });
      }),
      { seed: 63, numRuns: 500 },
    );
  });
});
