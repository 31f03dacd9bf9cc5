#!/usr/bin/env node
// Bundles each workspace package's compiled entry points (`dist/src/**.js`, from `tsc -b`) into
// `dist/bundle/`, so a process loads a handful of modules instead of one per source file (Node's
// ESM loader costs ~0.3 ms a module; the CLI's cold start is measured by `npm run bench`).
// Every bare import (other @viommu packages, tsyringe, ajv, …) stays an import: each package is
// still loaded once per process, whoever imports it. `import.meta.url` in a bundled module is
// rewritten to the URL its source file has in `dist/src/`, so files found relative to it
// (schemas, templates, package.json, worker scripts) resolve as they do unbundled.
// tsyringe and reflect-metadata are CommonJS; an ES `import` of them costs Node 20 ~50 ms at
// start-up (its CJS-export detection reads every file tsyringe re-exports), so the bundles load
// them with `require` instead — the same module instance (Node's CJS cache) that any plugin's
// `import 'tsyringe'` gets, so decorator metadata and containers are still shared.
// `node scripts/bundle.mjs [package…]` (directory names under packages/; default: all).
import { build } from 'esbuild';
import { createRequire } from 'node:module';
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

/**
 * `import … from 'tsyringe'` (or `'reflect-metadata'`) → a module that `require`s
 * reflect-metadata and then the package, and re-exports its names. tsyringe refuses to load
 * without the Reflect polyfill, and esbuild's code splitting does not keep the evaluation order
 * of modules in different chunks, so the polyfill is loaded right where tsyringe is.
 */
function requirePeers() {
  const req = createRequire(import.meta.url);
  req('reflect-metadata');
  return {
    name: 'require-cjs-peers',
    setup(b) {
      b.onResolve({ filter: /^(reflect-metadata|tsyringe)$/ }, (args) => ({ path: args.path, namespace: 'cjs-peer' }));
      b.onLoad({ filter: /.*/, namespace: 'cjs-peer' }, (args) => {
        const lines = ["import { createRequire } from 'node:module';", 'const require = createRequire(import.meta.url);', "require('reflect-metadata');"];
        if (args.path === 'tsyringe') {
          lines.push("const m = require('tsyringe');", `export const { ${Object.keys(req('tsyringe')).sort().join(', ')} } = m;`, 'export default m;');
        }
        return { contents: `${lines.join('\n')}\n`, loader: 'js' };
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
    plugins: [sourceUrl(outdir), requirePeers()],
    metafile: true,
    absWorkingDir: root,
  });
  // Chunks of earlier builds (their names carry a content hash) go; the new ones never leave.
  const written = new Set(Object.keys(metafile.outputs).map((o) => resolve(root, o)));
  for (const f of readdirSync(outdir)) if (!written.has(join(outdir, f))) rmSync(join(outdir, f));
  if (pkg === 'runner') chmodSync(join(outdir, 'cli.js'), 0o755);
}
