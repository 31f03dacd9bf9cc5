import { expect } from 'chai';
import { Writable } from 'node:stream';
import { coloursFor, useColour } from '../src/progress/colour.js';
import { progressBar } from '../src/progress/progress.js';
import { viommu } from './cli-helpers.js';

/** A stream that records what is written, a terminal or not. */
function sink(isTTY: boolean): NodeJS.WriteStream & { text(): string } {
  const chunks: string[] = [];
  const s = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as unknown as NodeJS.WriteStream & { text(): string };
  Object.assign(s, { isTTY, columns: 100, text: () => chunks.join('') });
  return s;
}

const SGR_COLOUR = /\x1b\[3\dm/;

describe('report: progress and colour', () => {
  it('draws counts, rate and ETA on a terminal, and erases the bar when done', () => {
    const s = sink(true);
    const p = progressBar('scenarios', s, {});
    for (let i = 0; i <= 3; i++) p.update(i, 3);
    p.stop();
    const t = s.text();
    expect(t).to.include('0/3 scenarios |');
    expect(t).to.match(/\/s \| ETA /);
    expect(t).to.match(SGR_COLOUR);
  });

  it('writes nothing when stderr is not a terminal (pipes, files, CI logs)', () => {
    const s = sink(false);
    const p = progressBar('scenarios', s, {});
    for (let i = 0; i <= 3; i++) p.update(i, 3);
    p.stop();
    expect(s.text()).to.equal('');
  });

  it('never colours with NO_COLOR, nor off a terminal', () => {
    const s = sink(true);
    const p = progressBar('scenarios', s, { NO_COLOR: '1' });
    p.update(0, 2);
    p.update(2, 2);
    p.stop();
    expect(s.text()).to.include('0/2 scenarios');
    expect(s.text()).to.not.match(SGR_COLOUR);
    expect(useColour({ isTTY: true }, { NO_COLOR: '1' })).to.equal(false);
    expect(useColour({ isTTY: false }, {})).to.equal(false);
    expect(useColour({}, {})).to.equal(false);
    expect(useColour({ isTTY: true }, {})).to.equal(true);
    expect(coloursFor({ isTTY: false }, {}).red('x')).to.equal('x');
    expect(coloursFor({ isTTY: true }, {}).red('x')).to.equal('\x1b[31mx\x1b[39m');
  });

  it('check paints its verdict only on a terminal: piped output has no escape codes', () => {
    const r = viommu(['check', '--host', 'intel-001', '--qemu', '10.0', '--no-trace', '--', '-machine', 'q35', '-device', 'intel-iommu', '-object', 'iommufd,id=fd0', '-device', 'vfio-pci,host=0000:01:00.0,iommufd=fd0']);
    expect(r.code).to.equal(1);
    expect(r.out).to.match(/^REFUSED: qemu-system-x86_64 pc-q35-10.0/);
    expect(r.out + r.err).to.not.include('\x1b');
  });
});
