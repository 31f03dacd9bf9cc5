import { findProfile, kernelFeatures } from '@viommu/core';
import type { SuiteExpected as Expected, SuiteRuleInput as RuleInput } from '@viommu/core';

/**
 * Vendor-neutral expectations every scenario shares: the backend must exist in the profile
 * and in the host kernel. Returns the refusal, or undefined when the backend can attach.
 */
export function backendRule({ host, backend, profile }: RuleInput): Expected | undefined {
  if (backend === 'iommufd') {
    if (!findProfile(profile)!.iommufdBackend) {
      return { ok: false, message: "Parameter 'qom-type' does not accept value 'iommufd'", stage: 'option-parse', why: `QEMU ${profile} has no -object iommufd` };
    }
    const f = kernelFeatures(host.kernel.release);
    if (!host.kernel.iommufd || !host.kernel.vfioCdev || !f.vfioCdev) {
      return { ok: false, stage: 'vfio-attach', why: `kernel ${host.kernel.release} has no /dev/iommu with VFIO cdev` };
    }
  } else if (!host.kernel.vfioType1) {
    return { ok: false, stage: 'vfio-attach', why: 'kernel has no VFIO type1 container' };
  }
  return undefined;
}
