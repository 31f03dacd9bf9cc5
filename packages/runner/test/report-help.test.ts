import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseArgs } from '../src/commands/args.js';
import { allCommands } from '../src/commands/registry.js';
import type { CommandDef } from '../src/commands/command.js';
import { splitShellWords } from '../src/input/qemu-args.js';
import { viommu } from './cli-helpers.js';

const CLI_MD = readFileSync(new URL('../../../../docs/cli.md', import.meta.url), 'utf8');

describe('viommu <command> --help, for every command', () => {
  let defs: CommandDef[];
  before(async () => (defs = await allCommands()));

  it('every command has at least one example, and each example is a valid command line for it', () => {
    expect(defs.length).to.be.at.least(6);
    for (const d of defs) {
      expect(d.examples, d.name).to.not.be.empty;
      for (const e of d.examples) {
        // `printf … | viommu regs --batch -`, `viommu help --markdown > docs/cli.md`: the viommu part.
        const part = e.split(' | ').find((x) => x.startsWith('viommu ')) ?? e;
        const words = splitShellWords(part.split(' > ')[0]!, e);
        expect(words.slice(0, 2), e).to.deep.equal(['viommu', d.name]);
        expect(() => parseArgs(d, words.slice(2)), e).to.not.throw();
      }
    }
  });

  it('--help prints usage, every option and every example, exit 0; `help NAME` says the same', () => {
    for (const d of defs) {
      const r = viommu([d.name, '--help']);
      expect(r.code, d.name).to.equal(0);
      expect(r.err).to.equal('');
      expect(r.out).to.match(new RegExp(`^viommu ${d.name} — `));
      for (const u of d.usage) expect(r.out).to.include(`  viommu ${u}\n`);
      for (const o of d.options) expect(r.out, `${d.name} --${o.name}`).to.include(`--${o.name}`);
      expect(r.out).to.include('\nExamples:\n');
      for (const e of d.examples) expect(r.out).to.include(`  ${e}`);
      expect(viommu(['help', d.name]).out).to.equal(r.out);
    }
  });

  it('docs/cli.md has every command, option and example', () => {
    for (const d of defs) {
      expect(CLI_MD).to.include(`## viommu ${d.name}\n`);
      for (const o of d.options) expect(CLI_MD).to.include(`\`--${o.name}`);
      for (const e of d.examples) expect(CLI_MD).to.include(`${e}\n`);
    }
  });
});
