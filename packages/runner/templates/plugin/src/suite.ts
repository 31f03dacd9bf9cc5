import { field, findProfile, suiteBackendRule, suiteVtdMsiRule, type SuiteExpected, type SuiteRuleInput, type SuiteRules } from '@viommu/core';
import { TYPE_NAME } from './properties.js';

const AW_BITS = 39n;

/**
 * `set_iommu_device` (profiles with `HostIOMMUDevice`) refuses a host unit whose VT-d
 * CAP.MGAW (bits 21:16, width − 1) is narrower than `aw-bits`: the kernel's domain never
 * maps more than MGAW bits. Read from the host's registers, not from the engine.
 */
function awRule({ host, bdf, profile }: SuiteRuleInput): SuiteExpected {
  const unit = host.units.find((u) => u.name === host.devices.find((d) => d.bdf === bdf)?.unit);
  const mgaw = field(unit?.registers.cap ?? 0n, 16, 6) + 1n;
  if (findProfile(profile)!.hostIommuDevice && AW_BITS > mgaw) {
    return { ok: false, contains: `aw-bits ${AW_BITS} > host aw-bits ${mgaw}`, stage: 'set-iommu-device', why: `host MGAW ${mgaw}` };
  }
  return { ok: true, why: `aw-bits ${AW_BITS} fits MGAW ${mgaw}` };
}

/**
 * Scenarios for `viommu suite`: each property set's command line, and its expected outcome
 * computed from the host's bits, never by running the engine.
 */
export const SUITE: SuiteRules = {
  typeName: TYPE_NAME,
  vendor: '__VENDOR__',
  arch: 'x86_64',
  hostVendors: ['intel'],
  sets: [
    {
      name: `aw-bits=${AW_BITS}`,
      vmArgs: () => ['-machine', 'q35', '-accel', 'kvm', '-device', `${TYPE_NAME},aw-bits=${AW_BITS}`],
      expect: (i) => suiteBackendRule(i) ?? suiteVtdMsiRule(i) ?? awRule(i),
    },
  ],
};
