import { expect } from 'chai';
import { kernelFeatures, type HostPciDevice } from '@viommu/core';
import { ArmSmmuV3Driver, parseSmmuBootLog } from '../src/index.js';

/** arm-003, NVIDIA Grace, 6.16.0-rc5 (real-hosts.json): SMMU .5 printed `msi_domain absent`. */
const GRACE_SMMU5 = [
  '[    9.948836] arm-smmu-v3 arm-smmu-v3.5.auto: option mask 0x0',
  '[    9.948847] arm-smmu-v3 arm-smmu-v3.5.auto: ias 48-bit, oas 48-bit (features 0x001e1fbf)',
  '[    9.949508] arm-smmu-v3 arm-smmu-v3.5.auto: msi_domain absent - falling back to wired irqs',
];
/** arm-006 (RK3588 address map): `arm-smmu-v3 fc900000.iommu: msi_domain absent - falling back to wired irqs`. */
const RK3588 = ['arm-smmu-v3 fc900000.iommu: oas 48-bit (features 0x001c1eaf)', 'arm-smmu-v3 fc900000.iommu: msi_domain absent - falling back to wired irqs'];

describe('SMMUv3: `msi_domain absent` is about the SMMU, not the MSI isolation of the devices behind it', () => {
  // arm_smmu_setup_msis tests the SMMU's own platform device (smmu->dev->msi.domain) for its
  // event/GERROR/PRI queue interrupts. msi_device_has_isolated_msi(dev) walks the PCI device's
  // MSI domain (the GICv3 ITS sets IRQ_DOMAIN_FLAG_ISOLATED_MSI), which the SMMU does not see.
  for (const [host, lines] of [['arm-003', GRACE_SMMU5], ['arm-006', RK3588]] as const) {
    it(`${host}: the line is parsed, and the driver does not turn it into non-isolated MSIs`, () => {
      const [unit] = parseSmmuBootLog(lines, host).units;
      expect(unit!.extra?.msiDomainAbsent).to.equal(true);
      const inst = new ArmSmmuV3Driver().probe(unit!, kernelFeatures('6.16.0'), '');
      const dev: HostPciDevice = { bdf: '0008:01:00.0', unit: unit!.name, group: 11, driver: 'vfio-pci' };
      expect(inst.isolatedMsi?.(dev) ?? true).to.equal(true);
    });
  }
});
