import { expect } from 'chai';
import { parsePciDevfn, QemuError } from '../src/index.js';

/*
 * Each value was given to Debian's QEMU 7.2.22 as `-device e1000e,addr=<value>` on q35:
 * taken values realized (or collided at the slot they name), refused ones printed the text.
 */
describe('parsePciDevfn (set_pci_devfn, sscanf "%x.%x")', () => {
  const taken: [string, number, number][] = [
    ['1', 1, 0], ['0x1f', 0x1f, 0], ['1f', 0x1f, 0], ['2.3', 2, 3], ['0x2.0x3', 2, 3], [' 2. 3', 2, 3],
    ['0x', 0, 0], ['-0', 0, 0], ['+3', 3, 0], ['0X3', 3, 0], ['2.-0', 2, 0], ['100000000', 0, 0],
  ];
  for (const [text, slot, fn] of taken) {
    it(`takes '${text}' as slot ${slot.toString(16)} function ${fn}`, () => {
      expect(parsePciDevfn('e1000e', text)).to.equal((slot << 3) | fn);
    });
  }
  for (const text of ['0xg', '1.', '1.x', '-1', '3.8', '20', '2.3 ', '', 'ff', '10000000000000000', '10000000100000000']) {
    it(`refuses '${text}' as QEMU 7.2 does`, () => {
      expect(() => parsePciDevfn('e1000e', text))
        .to.throw(QemuError, `Property 'e1000e.addr' doesn't take value '${text}'`)
        .with.property('stage', 'option-parse');
    });
  }
});
