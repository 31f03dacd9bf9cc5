import { InputError } from '@viommu/core';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { str } from './args.js';
import type { CommandDef } from './command.js';

/** The template, shipped in the runner's own package (`templates/plugin`). */
const TEMPLATE_DIR = fileURLToPath(new URL('../../../templates/plugin/', import.meta.url));
/** Template files npm would drop from a tarball, stored under another name. */
const RENAMED: Readonly<Record<string, string>> = { gitignore: '.gitignore' };

/** What `new-plugin` fills into the template. */
export interface NewPluginSpec {
  /** QOM type the plugin models, `-device <typeName>`. */
  readonly typeName: string;
  /** npm package name. */
  readonly packageName: string;
  /** Vendor key (`viommu suite --vendor`). */
  readonly vendor: string;
}

const QOM_TYPE = /^[a-z][a-z0-9-]*$/;
const NPM_NAME = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;

/**
 * Writes a plugin package for `spec` into `dir` (which must not exist or be empty); returns
 * the files written, relative to `dir`, in order.
 * @throws InputError for a bad name or a non-empty directory.
 */
export function writePluginPackage(dir: string, spec: NewPluginSpec): string[] {
  if (!QOM_TYPE.test(spec.typeName)) throw new InputError(`'${spec.typeName}' is not a QOM type name (lower case, digits, '-')`, 'new-plugin');
  if (!NPM_NAME.test(spec.packageName)) throw new InputError(`'${spec.packageName}' is not an npm package name`, 'new-plugin --package');
  if (!QOM_TYPE.test(spec.vendor)) throw new InputError(`'${spec.vendor}' is not a vendor key (lower case, digits, '-')`, 'new-plugin --vendor');
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new InputError(`${dir} exists and is not empty`, 'new-plugin');
  const own = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
  const fill: Readonly<Record<string, string>> = {
    __PACKAGE__: spec.packageName,
    __TYPE__: spec.typeName,
    __VENDOR__: spec.vendor,
    __CORE_VERSION__: own.dependencies['@viommu/core']!.replace(/^[\^~]/, ''),
  };
  const written: string[] = [];
  const copy = (from: string) => {
    for (const name of readdirSync(from).sort()) {
      const src = join(from, name);
      if (statSync(src).isDirectory()) {
        copy(src);
        continue;
      }
      const out = join(dir, relative(TEMPLATE_DIR, from), RENAMED[name] ?? name);
      mkdirSync(join(out, '..'), { recursive: true });
      writeFileSync(out, readFileSync(src, 'utf8').replace(/__[A-Z_]+__/g, (k) => fill[k] ?? k));
      written.push(relative(dir, out));
    }
  };
  copy(TEMPLATE_DIR);
  return written;
}

export const command: CommandDef = {
  name: 'new-plugin',
  summary: 'write a new vIOMMU plugin package (buildable, tested, found by plugins and suite)',
  usage: ['new-plugin <type-name> [--dir D] [--package NAME] [--vendor V]'],
  description:
    'Writes a plugin package modelling `-device <type-name>`: manifest, per-profile properties,\n' +
    'realize, set_iommu_device, suite rules, register(container), mocha tests, README.\n' +
    'docs/writing-a-plugin.md walks through it.',
  options: [
    { name: 'dir', type: 'string', value: 'D', summary: 'where to write it (default ./<type-name>)' },
    { name: 'package', type: 'string', value: 'NAME', summary: 'npm package name (default <type-name>)' },
    { name: 'vendor', type: 'string', value: 'V', summary: 'vendor key for suite --vendor (default: <type-name> up to the first -)' },
  ],
  examples: ['viommu new-plugin acme-iommu', 'viommu new-plugin acme-iommu --package @acme/viommu-plugin --vendor acme'],
  async run(args, io) {
    const [typeName, ...extra] = args.positionals;
    if (typeName === undefined) throw new InputError('missing <type-name> (e.g. viommu new-plugin acme-iommu)', 'new-plugin');
    if (extra.length) throw new InputError(`unexpected argument '${extra[0]}'`, 'new-plugin');
    const dir = resolve(str(args, 'dir') ?? typeName);
    const spec = { typeName, packageName: str(args, 'package') ?? typeName, vendor: str(args, 'vendor') ?? typeName.split('-')[0]! };
    const files = writePluginPackage(dir, spec);
    io.out([`wrote ${spec.packageName} (-device ${typeName}, vendor ${spec.vendor}) in ${dir}:`, ...files.map((f) => `  ${f}`)].join('\n'));
    return 0;
  },
};
