import { expect } from 'chai';
import { SimKernel, type HostIommuUnit, type HostModel } from '@viommu/core';
import { irqRemapDisabled, irqRemappingEnabled } from '../src/host/irq-remapping.js';
import { IntelIommuDriver } from '../src/index.js';
import { DEV, probe, UNITS } from './hosts.js';

/**
 * intel-067 (mailing-list boot log, host address width 36): both DRHDs without ECAP.IR —
 * `DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap c9008020e30272 ecap 1000`,
 * `DMAR: dmar1: reg_base_addr fed93000 ver 1:0 cap c9008020630272 ecap 1000`.
 */
const NO_IR: HostIommuUnit[] = [
  { name: 'dmar0', vendor: 'intel', registers: { cap: 0xc9008020e30272n, ecap: 0x1000n } },
  { name: 'dmar1', vendor: 'intel', registers: { cap: 0xc9008020630272n, ecap: 0x1000n } },
];

function simHost(units: readonly HostIommuUnit[], cmdline = ''): SimKernel {
  const host: HostModel = {
    id: 'irq-remapping-test',
    arch: 'x86_64',
    kernel: { release: '6.12.38', cmdline, iommufd: true, vfioCdev: true, vfioType1: true },
    units,
    devices: [],
  };
  return new SimKernel(host, [new IntelIommuDriver()]);
}

const isolated = (sim: SimKernel) => [...sim.instances.values()].map((i) => i.isolatedMsi?.({ ...DEV, unit: i.unit.name }));

describe('VT-d interrupt remapping decides MSI isolation (irq_remapping_enabled)', () => {
  it('a host whose DRHDs lack ECAP.IR (intel-067, ecap 0x1000) isolates no MSI', () => {
    expect(isolated(simHost(NO_IR))).to.deep.equal([false, false]);
  });

  it('ECAP.IR on every DRHD (intel-068, ecap 0x3fef9ea6f0efdf, cap bit 63 set): isolated', () => {
    expect(UNITS.serverNested.registers.cap >> 63n).to.equal(1n);
    expect(isolated(simHost([UNITS.serverNested]))).to.deep.equal([true]);
    expect(probe(UNITS.serverNested).isolatedMsi(DEV)).to.equal(true);
  });

  it('one DRHD without IR turns it off on every unit ("First make sure all IOMMUs support IRQ remapping")', () => {
    const mixed = [{ ...UNITS.serverNested, name: 'dmar0' }, { ...NO_IR[1]! }];
    expect(isolated(simHost(mixed))).to.deep.equal([false, false]);
    expect(irqRemappingEnabled(mixed, '')).to.equal(false);
  });

  it('nointremap / intremap=off disable it; the last on/off wins; nosid, nopost, no_x2apic_optout do not', () => {
    const on = (cmdline: string) => isolated(simHost([UNITS.desktop39, { ...UNITS.desktop39, name: 'dmar0' }], cmdline));
    expect(on('')).to.deep.equal([true, true]);
    expect(on('root=/dev/sda1 intremap=off')).to.deep.equal([false, false]);
    expect(on('nointremap quiet')).to.deep.equal([false, false]);
    expect(on('intremap=nosid,off')).to.deep.equal([false, false]);
    expect(on('intremap=off intremap=on')).to.deep.equal([true, true]);
    expect(on('intremap=nosid,nopost,no_x2apic_optout')).to.deep.equal([true, true]);
    expect(on('intel_iommu=off')).to.deep.equal([true, true]);
  });

  it('the cmdline parser prefix-matches as strncmp does', () => {
    expect(irqRemapDisabled('intremap=offline')).to.equal(true);
    expect(irqRemapDisabled('intremap=off,on')).to.equal(false);
    expect(irqRemapDisabled('xintremap=off')).to.equal(false);
  });
});
