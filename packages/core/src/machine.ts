import type { AddressSpace } from './memory.js';
import type { PCIBus, PCIDevice, PCITopology } from './pci/topology.js';

/** The accelerator a VM runs with (`-accel`). qtest behaves as TCG for vIOMMUs. */
export type Accel = 'tcg' | 'kvm' | 'qtest';

/**
 * One machine being built (QEMU `MachineState`), as vIOMMU plugins see it at realize:
 * the type (with its compat version), the accelerator and irqchip, the PCI tree and the
 * vIOMMUs already plugged.
 */
export interface MachineContext {
  /** Machine family (`q35`, `pc`, `virt`, `microvm`, …). */
  readonly family: string;
  /** Full type name as QEMU resolves it (`pc-q35-7.2`, `virt-9.1`). */
  readonly typeName: string;
  /** Versioned machine types' compat version (`[9, 1]` for `virt-9.1`); null for the newest. */
  readonly compatVersion: readonly [number, number] | null;
  readonly accel: Accel;
  /** `-machine kernel-irqchip=`; undefined when not given. */
  readonly kernelIrqchip?: 'on' | 'off' | 'split';
  /** Every `-machine` property as given (`iommu`, `default-bus-bypass-iommu`, …). */
  readonly props: Readonly<Record<string, string>>;
  readonly pci: PCITopology;
  /** The machine's main PCI root bus (`pcie.0`). */
  readonly rootBus: PCIBus;
  /** The machine's `address_space_memory`. */
  readonly addressSpaceMemory: AddressSpace;
  /** vIOMMUs already realized on this machine, in order. */
  readonly viommus: readonly { readonly typeName: string; readonly id?: string }[];
  /**
   * The page size of the host QEMU runs on (`qemu_real_host_page_size()`), in bytes: what
   * `virtio-iommu`'s `granule=host` uses. Absent: 4 KiB (x86_64 hosts, most aarch64 hosts).
   */
  readonly hostPageSize?: bigint;
  /** `-global driver.prop=value` values, by driver. */
  readonly globals: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** What `machine_init_done` hooks see: the machine and every passthrough device. */
export interface MachineDoneContext {
  readonly machine: MachineContext;
  /** Every `vfio-pci` device realized, with its host name (`0000:01:00.0`). */
  readonly vfioDevices: readonly { readonly name: string; readonly pdev: PCIDevice }[];
}
