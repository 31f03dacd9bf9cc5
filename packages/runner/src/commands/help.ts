import type { CommandDef } from './command.js';

/** `viommu <cmd> --help`. */
export function commandHelp(def: CommandDef): string {
  const lines = [`viommu ${def.name} — ${def.summary}`, '', 'Usage:'];
  for (const u of def.usage) lines.push(`  viommu ${u}`);
  if (def.description) lines.push('', ...def.description.split('\n'));
  lines.push('', 'Options:');
  const opts = [...def.options, { name: 'help', type: 'boolean' as const, summary: 'this help' }];
  const heads = opts.map((o) => `--${o.name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`);
  const w = Math.max(...heads.map((h) => h.length));
  opts.forEach((o, i) => lines.push(`  ${heads[i]!.padEnd(w)}  ${o.summary}`));
  if (def.examples.length) {
    lines.push('', 'Examples:');
    for (const e of def.examples) lines.push(`  ${e}`);
  }
  return lines.join('\n');
}

/** `viommu --help`. */
export function mainHelp(defs: readonly CommandDef[]): string {
  const w = Math.max(...defs.map((d) => d.name.length));
  return [
    'viommu — will this vIOMMU + passthrough configuration work on that host, with that QEMU?',
    '',
    'Usage: viommu <command> [options]   (viommu <command> --help for details)',
    '',
    'Commands:',
    ...defs.map((d) => `  ${d.name.padEnd(w)}  ${d.summary}`),
    '',
    'Exit status: 0 ok, 1 the configuration is refused, 2 bad input.',
  ].join('\n');
}

/** `docs/cli.md`: every command's help as Markdown. */
export function cliMarkdown(defs: readonly CommandDef[]): string {
  const out = ['# viommu command line', '', '<!-- generated from packages/runner/src/commands by `viommu help --markdown` -->', ''];
  out.push('Exit status: 0 ok, 1 the configuration is refused, 2 bad input. Every command takes `--json`.', '');
  for (const d of defs) {
    out.push(`## viommu ${d.name}`, '', d.summary + '.', '', '```', ...d.usage.map((u) => `viommu ${u}`), '```', '');
    if (d.description) out.push(d.description, '');
    out.push('| option | meaning |', '|---|---|');
    for (const o of d.options) out.push(`| \`--${o.name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}\` | ${o.summary.replace(/\|/g, '\\|')} |`);
    out.push('');
    if (d.examples.length) out.push('```sh', ...d.examples, '```', '');
  }
  return out.join('\n');
}
