import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { viommu } from './cli-helpers.js';

/** The README's `console` blocks: each `$ npx viommu …` command (with `\` continuations) and the output shown under it. */
function consoleExamples(markdown: string): { command: string; args: string[]; output: string }[] {
  const out: { command: string; args: string[]; output: string }[] = [];
  for (const [, body] of markdown.matchAll(/```console\n([\s\S]*?)```/g)) {
    const lines = body!.split('\n');
    let i = 0;
    while (i < lines.length) {
      if (!lines[i]!.startsWith('$ ')) {
        i++;
        continue;
      }
      let command = lines[i++]!.slice(2);
      while (command.endsWith('\\')) command = `${command.slice(0, -1).trimEnd()} ${lines[i++]!.trim()}`;
      const output: string[] = [];
      while (i < lines.length && !lines[i]!.startsWith('$ ')) output.push(lines[i++]!);
      const words = command.split(/\s+/).filter(Boolean);
      expect(words.slice(0, 2), `README command '${command}'`).to.deep.equal(['npx', 'viommu']);
      out.push({ command, args: words.slice(2), output: output.join('\n').trim() });
    }
  }
  return out;
}

/*
 * A docs check: the README shows what viommu prints. The QEMU texts in those outputs are asserted
 * against QEMU's source and binaries by the vendor and seed-scenario tests.
 */
describe('README examples', () => {
  const examples = consoleExamples(readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8'));
  it('has console examples to check', () => {
    expect(examples.length).to.be.greaterThan(3);
  });
  for (const { command, args, output } of examples) {
    it(`prints what the README shows: ${command}`, () => {
      expect(viommu(args).out.trim()).to.equal(output);
    });
  }
});
