import type { HostModel } from '@viommu/core';
import { vmShape, type VmShape } from '../fleet/index.js';
import { listHosts } from '../hosts/index.js';
import { parseQemuArgs } from '../input/qemu-args.js';

/**
 * `n` hosts drawn from the catalogue's profiles (a fixed linear-congruential sequence), each a
 * separate object as a parsed inventory would give: own kernel, units, registers and devices.
 */
export function drawHosts(n: number): HostModel[] {
  const cat = listHosts();
  const out: HostModel[] = new Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const h = cat[x % cat.length]!;
    out[i] = {
      id: `node-${i}`,
      arch: h.arch,
      kernel: { ...h.kernel },
      units: h.units.map((u) => ({ ...u, registers: { ...u.registers } })),
      devices: h.devices.map((d) => ({ ...d })),
    };
  }
  return out;
}

/** 100 VM shapes: intel-iommu and SMMUv3 variants × backend × passed-through device. */
export function benchShapes(): VmShape[] {
  const args: string[] = [];
  for (const bdf of ['0000:01:00.0', '0000:02:00.0', '0000:03:00.0']) {
    for (const backend of ['legacy', 'iommufd']) {
      const fd = backend === 'iommufd' ? ' -object iommufd,id=fd0' : '';
      const link = backend === 'iommufd' ? ',iommufd=fd0' : '';
      for (const aw of ['39', '48']) {
        for (const extra of ['', ',x-scalable-mode=on', ',device-iotlb=on', ',intremap=on', ',x-scalable-mode=on,x-flts=on']) {
          args.push(`-machine q35,kernel-irqchip=split -accel kvm -device intel-iommu,caching-mode=on,aw-bits=${aw}${extra}${fd} -device vfio-pci,host=${bdf}${link}`);
        }
      }
      for (const g of ['', ' -global arm-smmuv3.stage=2', ' -global arm-smmuv3.stage=1']) {
        args.push(`-machine virt,iommu=smmuv3 -accel kvm${g}${fd} -device vfio-pci,host=${bdf}${link}`);
      }
    }
  }
  for (let i = 0; args.length < 100; i++) args.push(`${args[i]} -m 4G`);
  return args.slice(0, 100).map((a, i) => vmShape(`shape-${i}`, parseQemuArgs(a.split(' '))));
}
