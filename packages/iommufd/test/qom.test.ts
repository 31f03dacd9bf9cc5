import { PROFILE_10_0, PROFILE_7_2, PROFILE_UPSTREAM } from '@viommu/core';
import { expect } from 'chai';
import { iommufdOptionRefusal } from '../src/index.js';

describe('-object iommufd and vfio-pci,iommufd= per profile', () => {
  it('7.2 refuses both at option parsing (texts from qemu-system-x86_64 7.2.22)', () => {
    // qemu-system-x86_64: -object iommufd,id=x: Parameter 'qom-type' does not accept value 'iommufd'
    expect(iommufdOptionRefusal(PROFILE_7_2, 'object')).to.equal("Parameter 'qom-type' does not accept value 'iommufd'");
    // qemu-system-x86_64: -device vfio-pci,host=0000:01:00.0,iommufd=x: Property 'vfio-pci.iommufd' not found
    expect(iommufdOptionRefusal(PROFILE_7_2, 'vfio-pci')).to.equal("Property 'vfio-pci.iommufd' not found");
  });

  it('10.0 and upstream have the backend', () => {
    for (const p of [PROFILE_10_0, PROFILE_UPSTREAM]) {
      expect(iommufdOptionRefusal(p, 'object')).to.equal(null);
      expect(iommufdOptionRefusal(p, 'vfio-pci')).to.equal(null);
    }
  });
});
