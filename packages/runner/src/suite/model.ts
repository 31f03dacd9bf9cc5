import type { HostModel, ProfileId, SuiteBackend, SuiteExpected, SuitePlacement } from '@viommu/core';

export const PLACEMENTS: readonly SuitePlacement[] = ['root-bus', 'root-port', 'pcie-pci-bridge', 'pci-bridge'];
export const BACKENDS: readonly SuiteBackend[] = ['legacy', 'iommufd'];

/** One scenario of the suite. */
export interface SuiteScenario {
  /** Stable id: `<vendor>/<props>/<backend>/<placement>/<profile>/<host>`. */
  readonly id: string;
  readonly vendor: string;
  readonly props: string;
  readonly backend: SuiteBackend;
  readonly placement: SuitePlacement;
  readonly profile: ProfileId;
  readonly host: HostModel;
  /** The QEMU command line. */
  readonly argv: readonly string[];
  readonly expected: SuiteExpected;
}
