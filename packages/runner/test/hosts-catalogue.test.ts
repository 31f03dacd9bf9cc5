import { expect } from 'chai';
import { testBit, type HostModel } from '@viommu/core';
import { AMD_NOT_MODELLED, findHost, hostFromJson, hostToJson, listHosts, readBootLog } from '../src/hosts/index.js';
import { REAL_HOSTS } from '../src/hosts/real-hosts.js';

/** Every hex token printed in a host's raw lines, as bigint (the evidence the registers must come from). */
function printedWords(h: HostModel): Set<bigint> {
  const words = new Set<bigint>();
  for (const line of h.provenance!.raw!) for (const m of line.matchAll(/(?:0x)?([0-9a-fA-F]+)\b/g)) words.add(BigInt(`0x${m[1]}`));
  return words;
}

describe('host catalogue (real hosts from shared/data)', () => {
  const hosts = listHosts();

  it('holds every host of the data, once, by its id, in data order', () => {
    expect(hosts.map((h) => h.id)).to.deep.equal(REAL_HOSTS.map((e) => e.id));
    expect(new Set(hosts.map((h) => h.id)).size).to.equal(141);
    expect(hosts.filter((h) => h.units[0]?.vendor === 'intel')).to.have.length(121);
    expect(hosts.filter((h) => h.units[0]?.vendor === 'arm')).to.have.length(10);
    expect(hosts.filter((h) => h.units[0]?.vendor === 'amd')).to.have.length(10);
  });

  it('carries only registers that were printed, with the raw lines as provenance', () => {
    for (const h of hosts) {
      expect(h.provenance!.raw, h.id).to.not.be.empty;
      const words = printedWords(h);
      for (const u of h.units) {
        for (const [k, v] of Object.entries(u.registers)) expect(words.has(v), `${h.id} ${u.name} ${k} 0x${v.toString(16)}`).to.equal(true);
        if (u.regBase !== undefined) expect(words.has(u.regBase), `${h.id} ${u.name} regBase`).to.equal(true);
        if (typeof u.extra?.features === 'bigint') expect(words.has(u.extra.features), `${h.id} ${u.name} features`).to.equal(true);
      }
    }
  });

  it('round-trips: parsing each host\'s printed boot-log lines gives the registers it carries', () => {
    let compared = 0;
    for (const h of hosts.filter((h) => h.provenance!.kind === 'dmesg' && h.units[0]!.vendor !== 'amd')) {
      const parsed = readBootLog(h.provenance!.raw!, h.id).units;
      expect(parsed.map((u) => u.name), h.id).to.deep.equal(h.units.map((u) => u.name));
      for (const [i, u] of parsed.entries()) {
        expect(u.registers, `${h.id} ${u.name}`).to.deep.equal(h.units[i]!.registers);
        expect(u.extra, `${h.id} ${u.name}`).to.deep.equal(h.units[i]!.extra);
        expect(u.regBase, `${h.id} ${u.name}`).to.equal(h.units[i]!.regBase);
      }
      compared++;
    }
    expect(compared).to.equal(128);
  });

  it('keeps bit 63 of a real cap (intel-068, Dell PowerEdge R770, Xeon 6) through JSON and back', () => {
    const h = findHost('intel-068')!;
    expect(h.units.map((u) => u.registers.cap)).to.deep.equal([0xf9ed008cee780c66n, 0xf9ed008cee780c66n]);
    const json = hostToJson(h) as { units: { registers: { cap: string } }[] };
    expect(json.units[0]!.registers.cap).to.equal('0xf9ed008cee780c66');
    expect(hostFromJson(JSON.parse(JSON.stringify(json)), 'intel-068.json').units[0]!.registers.cap).to.equal(0xf9ed008cee780c66n);
  });

  it('every host is a valid profile and survives JSON unchanged', () => {
    for (const h of hosts) expect(hostFromJson(JSON.parse(JSON.stringify(hostToJson(h))), h.id), h.id).to.deep.equal(h);
  });

  it('covers the generations: legacy-only and scalable-mode VT-d, nesting, FS1GP; SMMUv3 with and without nesting', () => {
    const vtd = hosts.flatMap((h) => h.units.filter((u) => u.vendor === 'intel' && u.registers.ecap !== undefined));
    expect(vtd.filter((u) => testBit(u.registers.ecap!, 43)).length, 'ECAP.SMTS').to.be.greaterThan(0);
    expect(vtd.filter((u) => !testBit(u.registers.ecap!, 43)).length, 'no ECAP.SMTS').to.be.greaterThan(0);
    expect(vtd.filter((u) => testBit(u.registers.ecap!, 26)).length, 'ECAP.NEST').to.be.greaterThan(0);
    expect(vtd.filter((u) => testBit(u.registers.cap!, 56)).length, 'CAP.FS1GP').to.be.greaterThan(0);
    const smmu = hosts.flatMap((h) => h.units.filter((u) => u.vendor === 'arm'));
    expect(smmu.some((u) => ((u.extra!.features as bigint) & (1n << 19n)) !== 0n), 'FEAT_NESTING').to.equal(true);
    expect(smmu.some((u) => ((u.extra!.features as bigint) & (1n << 19n)) === 0n), 'no FEAT_NESTING').to.equal(true);
  });

  it('keeps all units of a multi-unit server, each with its own assumed device', () => {
    const h = findHost('intel-002')!;
    expect(h.description).to.match(/^Supermicro X12DAi-N6/);
    expect(h.kernel.release).to.equal('3.10.0-1160.41.1.vz7.183.5');
    expect(h.units.map((u) => u.name)).to.deep.equal(Array.from({ length: 10 }, (_, i) => `dmar${i}`));
    expect(h.devices.map((d) => [d.bdf, d.unit, d.group])).to.deep.equal(h.units.map((u, i) => [`0000:${(i + 1).toString(16).padStart(2, '0')}:00.0`, u.name, i]));
    expect(h.provenance!.source).to.match(/^https:\/\/github\.com\/linuxhw\/Dmesg\/blob\/8e4fc166/);
  });

  it('marks every filled fact as assumed, and printed facts are not', () => {
    const w520 = findHost('intel-001')!;
    expect(w520.kernel.release).to.equal('6.12.38+deb13-amd64');
    expect(w520.assumed!.some((a) => a.startsWith('kernel release'))).to.equal(false);
    expect(w520.assumed).to.include("kernel command line not printed; assumed 'intel_iommu=on' (HOST_DEFAULTS.cmdline.intel)");
    const i8 = findHost('intel-008')!;
    expect(i8.kernel.cmdline).to.match(/^BOOT_IMAGE=\/boot\/vmlinuz-5\.19\.0-41-generic .* intel_iommu=on /);
    expect(i8.kernel.iommufd).to.equal(false);
    const noKernel = findHost('intel-009')!;
    expect(noKernel.kernel.release).to.equal('6.17.0');
    expect(noKernel.assumed).to.include('kernel release not printed; assumed 6.17.0 (HOST_DEFAULTS.kernelRelease)');
    for (const h of hosts.filter((h) => h.devices.length)) expect(h.assumed!.some((a) => a.startsWith('PCI devices not printed')), h.id).to.equal(true);
  });

  it('keeps SMMUv3 probe-line words raw and says the ID registers are rebuilt', () => {
    const grace = findHost('arm-004')!;
    expect(grace.arch).to.equal('aarch64');
    expect(grace.units[0]).to.deep.equal({
      name: 'arm-smmu-v3.10.auto',
      vendor: 'arm',
      registers: {},
      extra: { features: 0x1e1fbfn, oas: 48, ias: 48, options: 0x10n, cmdqvCompanion: 'NVDA200C:00' },
    });
    expect(grace.assumed!.filter((a) => a.includes('IDR0..IDR5 rebuilt from the features word'))).to.have.length(1);
  });

  it('lists AMD hosts with their raw EFR words, no devices, and says checks are not modelled', () => {
    const amd = findHost('amd-008')!;
    expect(amd.units).to.deep.equal([{ name: 'ivhd0', vendor: 'amd', registers: { efr: 0xa5bf7320a2294aeen, efr2: 0x1dn } }]);
    expect(amd.devices).to.deep.equal([]);
    expect(amd.assumed).to.include(AMD_NOT_MODELLED);
    expect(amd.description).to.include(AMD_NOT_MODELLED);
  });

  it('names old-form and unnamed VT-d units as the kernel does, and leaves unprinted registers absent', () => {
    expect(findHost('intel-105')!.units.map((u) => u.name)).to.deep.equal(['dmar0', 'dmar1']);
    expect(findHost('intel-028')!.assumed).to.include('unit 0: name not printed; named dmar0');
    const i100 = findHost('intel-100')!;
    expect(i100.units[0]!.registers).to.deep.equal({ cap: 0xd2008c40660462n });
    expect(i100.assumed).to.include('dmar0: ecap not printed; left absent, not filled (the unit cannot be probed)');
  });
});
