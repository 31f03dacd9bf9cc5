import type { HostModel, ProfileId, Stage } from '@viommu/core';

/** A VFIO backend as the suite names it. */
export type Backend = 'legacy' | 'iommufd';

/** Where the passed-through device sits. */
export type Placement = 'root-bus' | 'root-port' | 'pcie-pci-bridge' | 'pci-bridge';

export const PLACEMENTS: readonly Placement[] = ['root-bus', 'root-port', 'pcie-pci-bridge', 'pci-bridge'];
export const BACKENDS: readonly Backend[] = ['legacy', 'iommufd'];

/** What a scenario must end in. */
export interface Expected {
  readonly ok: boolean;
  /** QEMU's message exactly (without binary and location), when the rule knows it. */
  readonly message?: string;
  /** A part of QEMU's message, when the rule knows only that. */
  readonly contains?: string;
  readonly stage?: Stage;
  /** The rule's reason, for people. */
  readonly why: string;
}

/** One scenario of the suite. */
export interface SuiteScenario {
  /** Stable id: `<vendor>/<props>/<backend>/<placement>/<profile>/<host>`. */
  readonly id: string;
  readonly vendor: string;
  readonly props: string;
  readonly backend: Backend;
  readonly placement: Placement;
  readonly profile: ProfileId;
  readonly host: HostModel;
  /** The QEMU command line. */
  readonly argv: readonly string[];
  readonly expected: Expected;
}

/** The inputs a vendor rule sees: the host's bits, not the engine. */
export interface RuleInput {
  readonly host: HostModel;
  readonly bdf: string;
  readonly backend: Backend;
  readonly placement: Placement;
  readonly profile: ProfileId;
}

/** A property set of a vendor: its command line and its expectation rule. */
export interface PropertySet {
  readonly name: string;
  /** `-machine`/`-accel`/vIOMMU arguments for a profile. */
  vmArgs(profile: ProfileId): readonly string[];
  /** The expected outcome, derived from the host's registers and kernel. */
  expect(input: RuleInput): Expected;
}

/** The suite's knowledge of one vIOMMU type. */
export interface VendorRules {
  readonly typeName: string;
  readonly vendor: string;
  readonly arch: 'x86_64' | 'aarch64';
  readonly sets: readonly PropertySet[];
}
