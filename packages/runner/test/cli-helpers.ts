import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI as users run it (the `viommu` bin, `dist/bundle/cli.js`). */
export const CLI = fileURLToPath(new URL('../bundle/cli.js', import.meta.url));

/** Runs `viommu …` as a user would; returns exit code, stdout and stderr. */
export function viommu(args: readonly string[], input?: string): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', env: { ...process.env, VIOMMU_DEBUG: '' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}
