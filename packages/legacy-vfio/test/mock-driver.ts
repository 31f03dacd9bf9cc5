import {
  KernelError,
  type HostIommuUnit,
  type HostPciDevice,
  type IommuCap,
  type IommuDomain,
  type IommuDriver,
  type IommuInstance,
  type IovaRange,
} from '@viommu/core';

/**
 * A test-only IOMMU driver whose domain facts are given per unit instead of decoded from
 * registers: `extra.apertureBits` (domain aperture `[0, 2^bits - 1]`), `extra.resv`
 * (reserved regions `start-last,…` in hex, as `/sys/kernel/iommu_groups/N/reserved_regions`
 * prints them), `registers.pgsize` (`pgsize_bitmap`), `extra.coherent` (default true),
 * `extra.isolatedMsi` (default true: interrupt remapping on).
 * Domains attach only to devices behind the instance that allocated them.
 */
export class MockIommuDriver implements IommuDriver {
  readonly name = 'iommu-mock';
  readonly vendor = 'mock';

  probe(unit: HostIommuUnit): IommuInstance {
    return new MockInstance(this, unit);
  }
}

class MockInstance implements IommuInstance {
  readonly aperture: IovaRange;
  readonly pgsizeBitmap: bigint;
  readonly #resv: IovaRange[];

  constructor(
    readonly driver: IommuDriver,
    readonly unit: HostIommuUnit,
  ) {
    const bits = BigInt(Number(unit.extra?.apertureBits ?? 48));
    this.aperture = { start: 0n, last: (1n << bits) - 1n };
    this.pgsizeBitmap = unit.registers.pgsize ?? 0x40201000n;
    const resv = String(unit.extra?.resv ?? '');
    this.#resv = resv
      ? resv.split(',').map((r) => {
          const [start, last] = r.split('-');
          return { start: BigInt(start!), last: BigInt(last!) };
        })
      : [];
  }

  capable(cap: IommuCap): boolean {
    return cap === 'CACHE_COHERENCY' ? this.unit.extra?.coherent !== false : false;
  }

  maxPasids(): number {
    return 0;
  }

  isolatedMsi(): boolean {
    return this.unit.extra?.isolatedMsi !== false;
  }

  reservedRegions(): IovaRange[] {
    return this.#resv.map((r) => ({ ...r }));
  }

  domainAllocPaging(_dev: HostPciDevice, flags: number): IommuDomain {
    return { kind: 'paging', owner: this, flags };
  }

  attachDev(domain: IommuDomain, dev: HostPciDevice): void {
    if (domain.owner !== this) throw new KernelError('EINVAL', 'attach_dev', `${dev.bdf}: domain of another IOMMU`);
  }
}
