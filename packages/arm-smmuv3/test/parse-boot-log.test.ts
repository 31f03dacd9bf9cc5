import { expect } from 'chai';
import { InputError } from '@viommu/core';
import { thrown } from '@viommu/test-support';
import { parseSmmuBootLog } from '../src/index.js';

const inputError = (f: () => unknown): InputError => thrown(InputError, f);

// arm-004: NVIDIA Grace with its CMDQV companion (shared/data/real-hosts.json)
const GRACE = [
  '[    2.709269] arm-smmu-v3 arm-smmu-v3.10.auto: found companion CMDQV device: NVDA200C:00',
  '[    2.709273] arm-smmu-v3 arm-smmu-v3.10.auto: option mask 0x10',
  '[    2.709618] arm-smmu-v3 arm-smmu-v3.10.auto: ias 48-bit, oas 48-bit (features 0x001e1fbf)',
];

describe('parseSmmuBootLog (arm_smmu_device_hw_probe lines)', () => {
  it('keeps the printed features word, widths, option mask and companion; no register is invented', () => {
    const r = parseSmmuBootLog(GRACE, 'grace.log');
    expect(r.units).to.deep.equal([
      { name: 'arm-smmu-v3.10.auto', vendor: 'arm', registers: {}, extra: { cmdqvCompanion: 'NVDA200C:00', options: 0x10n, ias: 48, oas: 48, features: 0x1e1fbfn } },
    ]);
    expect(r.found).to.deep.equal(['line 3: SMMUv3 unit arm-smmu-v3.10.auto: ias 48-bit, oas 48-bit, features 0x1e1fbf, option mask 0x10']);
    expect(r.assumed[0]).to.match(/^arm-smmu-v3\.10\.auto: ID registers not printed; IDR0\.\.IDR5 rebuilt from the features word: /);
    expect(r.raw).to.deep.equal(GRACE);
  });

  it('reads every unit of a multi-SMMU server with thread ids in the prefix (arm-001, ThunderX2)', () => {
    const lines = [
      '[  125.142689][    T1] arm-smmu-v3 arm-smmu-v3.2.auto: option mask 0x2',
      '[  125.149687][    T1] arm-smmu-v3 arm-smmu-v3.2.auto: ias 44-bit, oas 44-bit (features 0x0000170d)',
      '[  125.251484][    T1] arm-smmu-v3 arm-smmu-v3.3.auto: option mask 0x2',
      '[  125.258233][    T1] arm-smmu-v3 arm-smmu-v3.3.auto: ias 44-bit, oas 44-bit (features 0x0000170d)',
    ];
    const r = parseSmmuBootLog(lines, 'tx2.log');
    expect(r.units.map((u) => [u.name, u.extra])).to.deep.equal([
      ['arm-smmu-v3.2.auto', { options: 0x2n, ias: 44, oas: 44, features: 0x170dn }],
      ['arm-smmu-v3.3.auto', { options: 0x2n, ias: 44, oas: 44, features: 0x170dn }],
    ]);
  });

  it('reads the newer oas-only probe line and the wired-irq fallback (arm-006)', () => {
    const r = parseSmmuBootLog(['      arm-smmu-v3 fc900000.iommu: oas 48-bit (features 0x001c1eaf)', '      arm-smmu-v3 fc900000.iommu: msi_domain absent - falling back to wired irqs'], 'rk.log');
    expect(r.units).to.deep.equal([{ name: 'fc900000.iommu', vendor: 'arm', registers: {}, extra: { oas: 48, features: 0x1c1eafn, msiDomainAbsent: true } }]);
    expect(r.assumed).to.include('fc900000.iommu: ias not printed (the newer probe line prints oas only)');
  });

  it('refuses a probe line cut inside the features word', () => {
    const e = inputError(() => parseSmmuBootLog([GRACE[1]!, '[    2.709618] arm-smmu-v3 arm-smmu-v3.10.auto: ias 48-bit, oas 48-bit (features 0x001e'], 'cut.log'));
    expect(e.message).to.equal(
      "cut.log:2: truncated or malformed arm-smmu-v3 line (expected '<dev>: ias <N>-bit, oas <N>-bit (features 0x<hex>)' or '<dev>: option mask 0x<hex>'): '[    2.709618] arm-smmu-v3 arm-smmu-v3.10.auto: ias 48-bit, oas 48-bit (features 0x001e'",
    );
  });

  it('refuses a unit whose probe line is missing after its option line (log cut)', () => {
    const e = inputError(() => parseSmmuBootLog(GRACE.slice(0, 2), 'cut.log'));
    expect(e.message).to.equal("cut.log: arm-smmu-v3.10.auto has no 'ias …, oas … (features 0x…)' probe line (the log is cut after line 1?)");
  });

  it('refuses a features word wider than the 32-bit field, and an oas Linux cannot print', () => {
    expect(inputError(() => parseSmmuBootLog(['arm-smmu-v3 x: ias 48-bit, oas 48-bit (features 0x1001e1fbf)'], 'w.log')).message).to.equal(
      "w.log:1: features: '1001e1fbf' does not fit in 32 bits: 'arm-smmu-v3 x: ias 48-bit, oas 48-bit (features 0x1001e1fbf)'",
    );
    expect(inputError(() => parseSmmuBootLog(['arm-smmu-v3 x: ias 48-bit, oas 47-bit (features 0x1)'], 'w.log')).message).to.match(/^w\.log:1: oas 47-bit/);
  });

  it('refuses one SMMU printed twice with another features word (two boots)', () => {
    const e = inputError(() => parseSmmuBootLog([GRACE[2]!, GRACE[2]!.replace('0x001e1fbf', '0x001e1fbe')], 'boots.log'));
    expect(e.message).to.match(/^boots\.log:2: arm-smmu-v3\.10\.auto printed again with another features/);
  });
});
