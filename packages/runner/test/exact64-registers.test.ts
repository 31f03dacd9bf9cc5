import 'reflect-metadata';
import { findProfile, hex, InputError, type HostModel, type IommuHwInfoOut } from '@viommu/core';
import { expect } from 'chai';
import fc from 'fast-check';
import { findHost, hostFromJson, hostToJson, readBootLog } from '../src/hosts/index.js';
import { parseQemuArgs } from '../src/input/qemu-args.js';
import { suiteToHtml } from '../src/report/html.js';
import { suiteToJUnit } from '../src/report/junit.js';
import { Composition } from '../src/scenario/compose.js';
import { runScenario } from '../src/scenario/engine.js';
import { formatVerdict, verdictToJson } from '../src/scenario/verdict.js';

/** Any 64-bit word, with bit 63 set, all-ones and zero drawn often. */
const word64 = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }).map((v) => v | (1n << 63n)),
  fc.constantFrom((1n << 64n) - 1n, 1n << 63n, 0n, 0x8000000000000001n),
);

/** CAP_REG.SAGAW bit 2: 4-level tables (`cap_sagaw`, include/linux/intel-iommu.h). */
const SAGAW_4LEVEL = 1n << 10n;

const ARGV = ['-machine', 'q35,kernel-irqchip=split', '-device', 'intel-iommu,intremap=on,caching-mode=on', '-object', 'iommufd,id=fd0', '-device', 'vfio-pci,host=01:00.0,iommufd=fd0'];

/**
 * A register word goes from a boot log through the host profile JSON, the simulated kernel's
 * IOMMU_GET_HW_INFO, and every report (text, JSON, JUnit, HTML) without losing a bit.
 */
describe('exact64: host register words survive every path', () => {
  it('boot log → host profile JSON → IOMMU_GET_HW_INFO → text, JSON, JUnit, HTML', async () => {
    const comp = await Composition.create();
    const base = findHost('intel-001')!;
    const profile = findProfile('upstream')!;
    let reported = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(word64, word64.map((c) => c | SAGAW_4LEVEL)), word64, async (cap, ecap) => {
        // import: the kernel's "DMAR: dmar%d: reg_base_addr %llx ver %d:%d cap %llx ecap %llx"
        const log = readBootLog([`[    0.099708] DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap ${cap.toString(16)} ecap ${ecap.toString(16)}`], 'log');
        expect(log.units[0]!.registers).to.deep.equal({ cap, ecap });
        // profile: written as JSON text and read back
        const host: HostModel = { ...base, units: [{ ...base.units[0]!, registers: log.units[0]!.registers }, ...base.units.slice(1)] };
        const back = hostFromJson(JSON.parse(JSON.stringify(hostToJson(host))), 'profile');
        expect(back.units[0]!.registers).to.deep.equal({ cap, ecap });
        // kernel: what IOMMU_GET_HW_INFO hands QEMU (a cap without 4-level SAGAW does not probe: see below)
        if (!(cap & SAGAW_4LEVEL)) return;
        const v = runScenario(comp.scenario(back, profile), parseQemuArgs(ARGV), back, profile);
        const info = v.trace.entries.find((e) => e.name === 'IOMMU_GET_HW_INFO' && e.result !== undefined);
        if (!info) return; // the host driver refused the device earlier; nothing reached the kernel
        const data = (info.result as unknown as IommuHwInfoOut).data as { cap_reg: bigint; ecap_reg: bigint };
        expect([data.cap_reg, data.ecap_reg]).to.deep.equal([cap, ecap]);
        // reports
        const json = JSON.stringify(verdictToJson(v));
        expect(json).to.include(`"cap_reg":"${hex(cap)}"`).and.include(`"ecap_reg":"${hex(ecap)}"`);
        const text = formatVerdict(v);
        expect(text).to.include(hex(cap)).and.include(hex(ecap));
        const c = { id: 'x', vendor: 'intel', backend: 'iommufd', profile: profile.id, host: back.id, shape: 's', args: ARGV.join(' '), expected: 'QEMU refuses', mismatch: 'for the report', verdict: v };
        expect(suiteToJUnit([c])).to.include(hex(cap)).and.include(hex(ecap));
        expect(suiteToHtml([c])).to.include(hex(cap)).and.include(hex(ecap));
        reported++;
      }),
      { numRuns: 60, seed: 64 },
    );
    expect(reported).to.be.greaterThan(20);
  });

  it('a host profile whose cap the kernel would not probe (bit 63 only: SAGAW 0) is refused as input, not a crash', async () => {
    const comp = await Composition.create();
    const base = findHost('intel-001')!;
    const host = { ...base, id: 'bit63', units: [{ ...base.units[0]!, registers: { ...base.units[0]!.registers, cap: 1n << 63n } }] };
    expect(() => comp.scenario(host, findProfile('10.0')!)).to.throw(
      InputError,
      'host bit63: the host kernel does not probe its IOMMU: alloc_iommu: ENODEV (No such device): dmar0: cannot get a valid agaw (SAGAW 0)',
    );
  });

  it('the guest-visible registers of a vIOMMU keep bit 63 in JSON and text', async () => {
    const comp = await Composition.create();
    const profile = findProfile('10.0')!;
    const host = findHost('intel-001')!;
    const v = runScenario(comp.scenario(host, profile), parseQemuArgs(['-machine', 'q35', '-device', 'intel-iommu']), host, profile);
    const regs = v.viommus[0]!.registers;
    expect(Object.keys(regs).length).to.be.greaterThan(0);
    const json = verdictToJson(v) as { viommus: { registers: Record<string, string> }[] };
    for (const [k, r] of Object.entries(regs)) {
      expect(BigInt(json.viommus[0]!.registers[k]!)).to.equal(r);
      expect(formatVerdict(v)).to.include(`${k}=${hex(r)}`);
    }
  });
});
