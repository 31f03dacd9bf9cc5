import { testBit } from './bits.js';
import type { Stage } from './errors.js';
import { kernelFeatures } from './kernel/features.js';
import { kernelBoolParam } from './kernel/params.js';
import type { HostModel } from './kernel/host-model.js';
import { findProfile, type ProfileId } from './profile.js';

/**
 * What a vIOMMU package contributes to `viommu suite`: property sets, each with a QEMU
 * command line and an expectation rule computed from the host's bits (never by running the
 * engine). The runner crosses every set with both VFIO backends, four device placements,
 * every profile and one catalogue host per distinct IOMMU signature, runs each scenario and
 * compares. Register it under `SUITE_RULES` from the package's `register(container)`.
 */
export interface SuiteRules {
  /** The `-device` type the sets create (`intel-iommu`). */
  readonly typeName: string;
  /** Vendor key, as `viommu suite --vendor` selects it. */
  readonly vendor: string;
  /** Architecture of the catalogue hosts the scenarios run on. */
  readonly arch: 'x86_64' | 'aarch64';
  /**
   * Host IOMMU vendors (`HostIommuUnit.vendor`) of the hosts to run on. Absent: `[vendor]`
   * (intel-iommu on VT-d hosts); a vIOMMU not tied to one host IOMMU (virtio-iommu) names them.
   */
  readonly hostVendors?: readonly string[];
  readonly sets: readonly SuitePropertySet[];
}

/** A VFIO backend as the suite names it. */
export type SuiteBackend = 'legacy' | 'iommufd';

/** Where the passed-through device sits: the root bus, behind a root port, a PCIe-to-PCI bridge, a PCI bridge. */
export type SuitePlacement = 'root-bus' | 'root-port' | 'pcie-pci-bridge' | 'pci-bridge';

/** One property set: its command line and its expectation rule. */
export interface SuitePropertySet {
  /** Short name shown in the suite table (`caching-mode`, `aw-bits=39`). */
  readonly name: string;
  /** `-machine`/`-accel`/vIOMMU arguments for a profile; the runner adds the backend and the device. */
  vmArgs(profile: ProfileId): readonly string[];
  /** The expected outcome, derived from the host's registers and kernel. */
  expect(input: SuiteRuleInput): SuiteExpected;
}

/** What an expectation rule sees: the host's bits, not the engine. */
export interface SuiteRuleInput {
  readonly host: HostModel;
  /** The passed-through device (`0000:01:00.0`). */
  readonly bdf: string;
  readonly backend: SuiteBackend;
  readonly placement: SuitePlacement;
  readonly profile: ProfileId;
}

/** What a scenario must end in. */
export interface SuiteExpected {
  readonly ok: boolean;
  /** QEMU's message exactly (without binary and location), when the rule knows it. */
  readonly message?: string;
  /** A part of QEMU's message, when the rule knows only that. */
  readonly contains?: string;
  readonly stage?: Stage;
  /** The rule's reason, for people. */
  readonly why: string;
}

/**
 * The vendor-neutral part of every expectation: the backend must exist in the profile
 * (`-object iommufd` from 9.0) and in the host kernel (`/dev/iommu` with VFIO cdev, or a
 * type1 container). Returns the refusal, or undefined when the backend can attach; a rule
 * starts with `suiteBackendRule(input) ?? …`.
 */
export function suiteBackendRule({ host, backend, profile }: SuiteRuleInput): SuiteExpected | undefined {
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

/**
 * The vendor-neutral part of the MSI-isolation expectation: a host IOMMU that does not isolate
 * MSIs (on VT-d: no interrupt remapping) makes VFIO's attach EPERM — type1's
 * `vfio_iommu_type1_attach_group`, iommufd's `iommufd_device_bind` — unless the backend's
 * `allow_unsafe_interrupts` module parameter is set. `isolated` is the rule's own reading of
 * the host's bits. Returns the refusal, or undefined when the attach goes on.
 */
export function suiteMsiRule(i: SuiteRuleInput, isolated: boolean): SuiteExpected | undefined {
  if (isolated) return undefined;
  const param = i.backend === 'legacy' ? 'vfio_iommu_type1.allow_unsafe_interrupts' : 'iommufd.allow_unsafe_interrupts';
  if (kernelBoolParam(i.host.kernel, param)) return undefined;
  return {
    ok: false,
    contains: i.backend === 'legacy' ? 'Failed to set iommu for container: Operation not permitted' : 'Operation not permitted',
    stage: 'vfio-attach',
    why: `the host IOMMU does not isolate MSIs and ${param} is unset`,
  };
}

/**
 * `suiteMsiRule` with the VT-d reading of MSI isolation: interrupt remapping is on when every
 * DRHD has ECAP.IR (3) and the command line keeps it (`nointremap`, `intremap=off`;
 * drivers/iommu/irq_remapping.c). For the rules of intel-iommu and of any vIOMMU on a VT-d host.
 */
export function suiteVtdMsiRule(i: SuiteRuleInput): SuiteExpected | undefined {
  let off = false;
  for (const w of i.host.kernel.cmdline.split(/\s+/)) {
    if (w === 'nointremap') off = true;
    if (w.startsWith('intremap=')) for (const o of w.slice(9).split(',')) off = o.startsWith('off') ? true : o.startsWith('on') ? false : off;
  }
  const drhds = i.host.units.filter((u) => u.vendor === 'intel');
  return suiteMsiRule(i, !off && drhds.every((u) => testBit(u.registers.ecap ?? 0n, 3)));
}
