#!/usr/bin/env node
// Bundles each workspace package's compiled entry points (`dist/src/**.js`, from `tsc -b`) into
// `dist/bundle/`, so a process loads a handful of modules instead of one per source file (Node's
// ESM loader costs ~0.3 ms a module; the CLI's cold start is measured by `npm run bench`).
// Every bare import (other @viommu packages, tsyringe, ajv, …) stays an import: each package is
// still loaded once per process, whoever imports it. `import.meta.url` in a bundled module is
// rewritten to the URL its source file has in `dist/src/`, so files found relative to it
// (schemas, templates, package.json, worker scripts) resolve as they do unbundled.
// `node scripts/bundle.mjs [package…]` (directory names under packages/; default: all).
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { chmodSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Entry points per package, as `dist/src`-relative paths without `.js`. */
const ENTRIES = {
  core: ['index'],
  iommufd: ['index'],
  'legacy-vfio': ['index'],
  'intel-vtd': ['index'],
  'arm-smmuv3': ['index'],
  'virtio-iommu': ['index'],
  runner: ['index', 'cli'],
};

/** Rewrites `import.meta.url` to the module's own `dist/src` URL, relative to the bundle. */
function sourceUrl(outdir) {
  return {
    name: 'source-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\/dist\/src\/.*\.js$/ }, async (args) => {
        const code = await readFile(args.path, 'utf8');
        if (!code.includes('import.meta.url')) return { contents: code, loader: 'js' };
        const rel = relative(outdir, args.path).split('\\').join('/');
        return { contents: code.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'js' };
      });
    },
  };
}

const wanted = process.argv.slice(2);
for (const name of wanted) if (!Object.hasOwn(ENTRIES, name)) {
  process.stderr.write(`bundle: unknown package '${name}' (packages: ${Object.keys(ENTRIES).join(', ')})\n`);
  process.exit(2);
}
for (const [pkg, entries] of Object.entries(ENTRIES)) {
  if (wanted.length && !wanted.includes(pkg)) continue;
  const dir = join(root, 'packages', pkg);
  const outdir = join(dir, 'dist', 'bundle');
  const { metafile } = await build({
    entryPoints: Object.fromEntries(entries.map((e) => [e, join(dir, 'dist', 'src', `${e}.js`)])),
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    chunkNames: '[name]-[hash]',
    logLevel: 'warning',
    plugins: [sourceUrl(outdir)],
    metafile: true,
    absWorkingDir: root,
  });
  // Chunks of earlier builds (their names carry a content hash) go; the new ones never leave.
  const written = new Set(Object.keys(metafile.outputs).map((o) => resolve(root, o)));
  for (const f of readdirSync(outdir)) if (!written.has(join(outdir, f))) rmSync(join(outdir, f));
  if (pkg === 'runner') chmodSync(join(outdir, 'cli.js'), 0o755);
}
