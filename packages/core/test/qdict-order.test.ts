import { expect } from 'chai';
import { parseOptionString, qdictOrder, QemuError, resolveProperties, tdbHash, type PropertyDecl } from '../src/index.js';

// intel-iommu's 7.2 properties that matter here; the messages below are what
// `qemu-system-x86_64 -machine q35 -accel tcg -display none -nodefaults -S -device intel-iommu,<opts>`
// (Debian QEMU 7.2) prints.
const DECLS: PropertyDecl[] = [
  { name: 'aw-bits', type: 'uint8', default: 39 },
  { name: 'caching-mode', type: 'bool', default: false },
  { name: 'x-scalable-mode', type: 'bool', default: false },
  { name: 'intremap', type: 'OnOffAuto', default: 'auto' },
];

function firstError(opts: string): string {
  const p = parseOptionString(`intel-iommu,${opts}`, 'driver', '-device');
  try {
    resolveProperties('intel-iommu', DECLS, { given: p.pairs });
  } catch (e) {
    expect(e).to.be.instanceOf(QemuError);
    return (e as Error).message;
  }
  throw new Error(`expected ${opts} to be refused`);
}

describe('QDict order of -device options (qemu_opts_to_qdict, object_set_properties_from_keyval)', () => {
  it('tdb_hash buckets as qobject/qdict.c computes them', () => {
    // the buckets behind the QEMU-observed order below (ril 174 < accel 413, oas 109 first)
    expect(tdbHash('accel') % 512).to.equal(413);
    expect(tdbHash('ril') % 512).to.equal(174);
    expect(tdbHash('oas') % 512).to.equal(109);
    expect(qdictOrder(['primary-bus', 'accel', 'ril', 'oas'])).to.deep.equal(['oas', 'ril', 'accel', 'primary-bus']);
  });

  it('the first bad option QEMU reports is the first in QDict order, not on the command line', () => {
    expect(firstError('accel=on,ril=off')).to.equal("Property 'intel-iommu.ril' not found");
    expect(firstError('ril=off,accel=on')).to.equal("Property 'intel-iommu.ril' not found");
    expect(firstError('accel=on,ril=off,oas=48')).to.equal("Property 'intel-iommu.oas' not found");
    expect(firstError('ats=1,ssidsize=2')).to.equal("Property 'intel-iommu.ats' not found");
    expect(firstError('aw-bits=x,caching-mode=maybe')).to.equal("Parameter 'caching-mode' expects 'on' or 'off'");
    expect(firstError('caching-mode=maybe,aw-bits=x')).to.equal("Parameter 'caching-mode' expects 'on' or 'off'");
    expect(firstError('x-scalable-mode=q,intremap=q')).to.equal("Parameter 'x-scalable-mode' expects 'on' or 'off'");
  });

  it('a repeated key keeps its first slot and its last value', () => {
    const p = parseOptionString('intel-iommu,aw-bits=39,caching-mode=on,aw-bits=48', 'driver', '-device');
    const props = resolveProperties('intel-iommu', DECLS, { given: p.pairs });
    expect(props['aw-bits']).to.equal(48);
    expect(qdictOrder(['b', 'a', 'b'])).to.deep.equal(qdictOrder(['b', 'a']));
  });
});
