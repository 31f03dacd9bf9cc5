import 'reflect-metadata';
import { InputError, findProfile } from '@viommu/core';
import { listHosts } from '../src/hosts/index.js';
import { parseQemuArgs, splitShellWords } from '../src/input/qemu-args.js';
import { Composition } from '../src/scenario/compose.js';
import { runScenario } from '../src/scenario/engine.js';
import type { ReportCase } from '../src/report/case.js';

/** A VM shape of the report tests: a QEMU command line with `BDF` for the host's first device. */
interface Shape {
  readonly vendor: string;
  readonly backend: string;
  readonly name: string;
  readonly args: string;
}

const Q35 = '-machine q35,kernel-irqchip=split -accel kvm';
const FD = '-object iommufd,id=fd0';
export const SHAPES: readonly Shape[] = [
  { vendor: 'intel-iommu', backend: 'legacy', name: 'root', args: `${Q35} -device intel-iommu,caching-mode=on -device vfio-pci,host=BDF` },
  { vendor: 'intel-iommu', backend: 'legacy', name: 'x-flts', args: `${Q35} -device intel-iommu,caching-mode=on,x-scalable-mode=on,x-flts=on -device vfio-pci,host=BDF` },
  { vendor: 'intel-iommu', backend: 'iommufd', name: 'root', args: `${Q35} -device intel-iommu,caching-mode=on ${FD} -device vfio-pci,host=BDF,iommufd=fd0` },
  { vendor: 'intel-iommu', backend: 'iommufd', name: 'root-port', args: `${Q35} -device intel-iommu,caching-mode=on ${FD} -device pcie-root-port,id=rp0,chassis=1 -device vfio-pci,host=BDF,bus=rp0,iommufd=fd0` },
  { vendor: 'intel-iommu', backend: 'iommufd', name: 'x-flts', args: `${Q35} -device intel-iommu,caching-mode=on,x-scalable-mode=on,x-flts=on ${FD} -device vfio-pci,host=BDF,iommufd=fd0` },
  { vendor: 'intel-iommu', backend: 'iommufd', name: 'aw-bits=39', args: `${Q35} -device intel-iommu,caching-mode=on,aw-bits=39 ${FD} -device vfio-pci,host=BDF,iommufd=fd0` },
  { vendor: 'arm-smmuv3', backend: 'legacy', name: 'virt,iommu=smmuv3', args: '-machine virt,iommu=smmuv3 -accel kvm -device vfio-pci,host=BDF' },
  { vendor: 'arm-smmuv3', backend: 'legacy', name: 'device', args: '-machine virt -accel kvm -device arm-smmuv3,primary-bus=pcie.0 -device vfio-pci,host=BDF' },
  { vendor: 'arm-smmuv3', backend: 'iommufd', name: 'virt,iommu=smmuv3', args: `-machine virt,iommu=smmuv3 -accel kvm ${FD} -device vfio-pci,host=BDF,iommufd=fd0` },
  { vendor: 'arm-smmuv3', backend: 'iommufd', name: 'device', args: `-machine virt -accel kvm -device arm-smmuv3,primary-bus=pcie.0 ${FD} -device vfio-pci,host=BDF,iommufd=fd0` },
];

/**
 * Real scenarios for the report tests: `intelHosts` intel and `armHosts` arm catalogue hosts
 * (those with a passthrough device, spread over the catalogue) × every shape of their vendor × `profiles`, each run by
 * the scenario engine. 12 × 6 × 2 + 8 × 4 × 2 = 208 by default.
 */
export async function reportCases(opts: { intelHosts?: number; armHosts?: number; profiles?: readonly string[] } = {}): Promise<ReportCase[]> {
  const comp = await Composition.create();
  const hosts = listHosts().filter((h) => h.devices.length > 0);
  const pick = (arch: string, n: number) => {
    const of = hosts.filter((h) => h.arch === arch);
    return of.filter((_, i) => i % Math.max(1, Math.floor(of.length / n)) === 0).slice(0, n);
  };
  const chosen = [...pick('x86_64', opts.intelHosts ?? 12), ...pick('aarch64', opts.armHosts ?? 8)];
  const cases: ReportCase[] = [];
  for (const id of opts.profiles ?? ['7.2', '10.0']) {
    const profile = findProfile(id)!;
    for (const host of chosen) {
      const vendor = host.arch === 'x86_64' ? 'intel-iommu' : 'arm-smmuv3';
      for (const s of SHAPES.filter((x) => x.vendor === vendor)) {
        const args = s.args.replace('BDF', host.devices[0]!.bdf);
        const base = { id: `${id}/${host.id}/${s.backend}/${s.name}`, vendor, backend: s.backend, profile: profile.id, host: host.id, shape: `${s.backend} ${s.name}`, args };
        try {
          const vm = parseQemuArgs(splitShellWords(args, 'shape'));
          cases.push({ ...base, verdict: runScenario(comp.scenario(host, profile), vm, host, profile) });
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          cases.push({ ...base, error: e.message });
        }
      }
    }
  }
  return cases;
}
