import { PCI_BRIDGE_ROLES, type ProfileId } from '@viommu/core';
import { machine, type TestMachine } from '../helpers.js';

/**
 * One differential case: a machine and a `-device` list as QEMU takes them. The last
 * `virtio-iommu-pci`/`virtio-iommu-device` is the device under test; earlier entries build
 * the machine (root ports, another vIOMMU).
 */
export interface OracleCase {
  readonly arch: 'x86_64' | 'aarch64';
  /** `-machine` value: family, then properties (`virt,gic-version=3`). */
  readonly machine: string;
  readonly devices: readonly string[];
  /** Profiles whose QEMU the case is meant for; absent: every profile with an oracle. */
  readonly profiles?: readonly ProfileId[];
}

/** The model's machine for `-machine <spec>` plus the devices before the one under test. */
export function modelMachine(c: OracleCase): TestMachine {
  const [type, ...rest] = c.machine.split(',');
  const props = Object.fromEntries(rest.map((kv) => kv.split('=') as [string, string]));
  const versioned = /^(?:pc-)?(q35|i440fx|virt)-(\d+)\.(\d+)$/.exec(type!);
  const family = versioned ? (versioned[1] === 'i440fx' ? 'pc' : versioned[1]!) : type!;
  const compat = versioned ? ([Number(versioned[2]), Number(versioned[3])] as const) : null;
  const m = machine(family, { props, compat });
  for (const d of c.devices.slice(0, -1)) {
    const [type, ...opts] = d.split(',');
    const id = opts.find((o) => o.startsWith('id='))?.slice(3);
    if (type === 'pcie-root-port') m.pci.plug({ typeName: type, id, bus: m.rootBus, role: PCI_BRIDGE_ROLES[type] });
    else m.viommus.push({ typeName: type! });
  }
  return m;
}

/** Refusals QEMU prints before any guest runs. */
export const ERROR_CASES: readonly OracleCase[] = [
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci,boot-bypass=maybe'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci,aw-bits=48'], profiles: ['7.2'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci,granule=4k'], profiles: ['7.2'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci,aw-bits=31'], profiles: ['10.0'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci,aw-bits=65'], profiles: ['10.0'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci,granule=2k'], profiles: ['10.0'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci,granule=HOST'], profiles: ['10.0'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci,reserved-regions=0x1000:0x2000:1'], profiles: ['10.0'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci,reserved-regions.0=0x1000:0x2000:1'], profiles: ['10.0'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci,len-reserved-regions=1'], profiles: ['10.0'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci,addr=zz'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci,addr=0x20'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci,addr=1.8'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci,virtio-backend=x'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci,bus=nope'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci', 'virtio-iommu-pci'] },
  { arch: 'x86_64', machine: 'q35,kernel-irqchip=split', devices: ['intel-iommu', 'virtio-iommu-pci'] },
  { arch: 'x86_64', machine: 'q35', devices: ['pcie-root-port,id=rp0', 'virtio-iommu-pci,bus=rp0'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci,len-reserved-regions=1'], profiles: ['7.2'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci,reserved-regions[0]=0x1000:0x2000:1'], profiles: ['7.2'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-device'] },
  { arch: 'aarch64', machine: 'virt', devices: ['virtio-iommu-pci', 'virtio-iommu-pci'] },
  { arch: 'aarch64', machine: 'virt,iommu=smmuv3', devices: ['virtio-iommu-pci'] },
  { arch: 'aarch64', machine: 'virt', devices: ['pcie-root-port,id=rp0', 'virtio-iommu-pci,bus=rp0'] },
  { arch: 'aarch64', machine: 'virt', devices: ['virtio-iommu-pci,len-reserved-regions=1,reserved-regions[0]=0x1000:0x2000:1'], profiles: ['7.2'] },
  {
    arch: 'aarch64',
    machine: 'virt,gic-version=3,its=off',
    devices: ['virtio-iommu-pci,len-reserved-regions=1,reserved-regions[0]=0x1000:0x2000:2'],
    profiles: ['7.2'],
  },
  { arch: 'aarch64', machine: 'sbsa-ref', devices: ['virtio-iommu-pci'] },
  { arch: 'aarch64', machine: 'sbsa-ref', devices: ['virtio-iommu-pci,len-reserved-regions=1,reserved-regions[0]=zz:0x2000:1'], profiles: ['7.2'] },
  { arch: 'aarch64', machine: 'sbsa-ref', devices: ['virtio-iommu-pci,len-reserved-regions=1,reserved-regions[0]=0x1000:0x2000:x'], profiles: ['7.2'] },
  { arch: 'aarch64', machine: 'sbsa-ref', devices: ['virtio-iommu-pci,len-reserved-regions=1,reserved-regions[0]=0x1000'], profiles: ['7.2'] },
  { arch: 'aarch64', machine: 'sbsa-ref', devices: ['virtio-iommu-pci,len-reserved-regions=1,reserved-regions[1]=0x1000:0x2000:1'], profiles: ['7.2'] },
  { arch: 'aarch64', machine: 'virt', devices: ['virtio-iommu-device'] },
  { arch: 'aarch64', machine: 'virt', devices: ['virtio-iommu-device,primary-bus=nope'] },
];

/** Configurations QEMU accepts; the device config the guest reads must match the model's registers. */
export const CONFIG_CASES: readonly OracleCase[] = [
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci,boot-bypass=off'] },
  { arch: 'aarch64', machine: 'virt', devices: ['virtio-iommu-pci'] },
  { arch: 'aarch64', machine: 'virt', devices: ['virtio-iommu-pci,boot-bypass=off'] },
  { arch: 'aarch64', machine: 'virt', devices: ['virtio-iommu-device,bus=virtio-mmio-bus.0,primary-bus=pcie.0,boot-bypass=off'] },
  { arch: 'aarch64', machine: 'virt,iommu=smmuv3', devices: ['virtio-iommu-device,primary-bus=pcie.0'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci,granule=64k,aw-bits=40'], profiles: ['10.0'] },
  { arch: 'x86_64', machine: 'q35', devices: ['virtio-iommu-pci,granule=16k'], profiles: ['10.0'] },
  { arch: 'x86_64', machine: 'pc-q35-8.2', devices: ['virtio-iommu-pci'], profiles: ['10.0'] },
  { arch: 'x86_64', machine: 'pc-q35-9.0', devices: ['virtio-iommu-pci,aw-bits=0x30'], profiles: ['10.0'] },
  { arch: 'aarch64', machine: 'virt-8.2', devices: ['virtio-iommu-pci'], profiles: ['10.0'] },
  { arch: 'aarch64', machine: 'virt-9.0', devices: ['virtio-iommu-pci,boot-bypass=off'], profiles: ['10.0'] },
  { arch: 'aarch64', machine: 'virt,gic-version=3', devices: ['virtio-iommu-pci,aw-bits=52'], profiles: ['10.0'] },
];
