import type { QemuProfile } from '@viommu/core';

/** `TYPE_IOMMUFD_BACKEND`: the QOM type of `-object iommufd,id=…`. */
export const TYPE_IOMMUFD_BACKEND = 'iommufd';

/**
 * What QEMU answers, at option parsing, when the profile has no iommufd backend (before 9.0):
 * `-object iommufd,…` → `Parameter 'qom-type' does not accept value 'iommufd'`;
 * `-device vfio-pci,…,iommufd=…` → `Property 'vfio-pci.iommufd' not found` (both read from
 * QEMU 7.2's binary). Null where the profile has the backend. The caller (the command-line
 * parser) prefixes the option as QEMU does.
 */
export function iommufdOptionRefusal(profile: QemuProfile, where: 'object' | 'vfio-pci'): string | null {
  if (profile.iommufdBackend) return null;
  return where === 'object' ? `Parameter 'qom-type' does not accept value '${TYPE_IOMMUFD_BACKEND}'` : "Property 'vfio-pci.iommufd' not found";
}
