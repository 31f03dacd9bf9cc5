import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hex } from '@viommu/core';
import { oracleCases, SMMU_READS, type OracleCase, type Outcome } from './cases.js';
import { runQtest, type Aarch64Binary } from './qtest.js';

/**
 * `npm run test:oracle`: every case of `oracleCases()` run on the real QEMU of its profile
 * (Debian's 7.2 on PATH; 10.0 unpacked under `<repo>/.cache/qemu/10.0`) and compared with the
 * plugin, register by register and message by message. Prints "N/M match" per profile and
 * every mismatch; exits 1 on any mismatch, and says plainly when a binary is missing.
 */
const repo = fileURLToPath(new URL('../../../../../', import.meta.url));

function binaries(): Partial<Record<OracleCase['profile'], Aarch64Binary>> {
  const out: Partial<Record<OracleCase['profile'], Aarch64Binary>> = {};
  if (existsSync('/usr/bin/qemu-system-aarch64')) out['7.2'] = { path: '/usr/bin/qemu-system-aarch64' };
  const root = `${repo}.cache/qemu/10.0`;
  const bin = `${root}/usr/bin/qemu-system-aarch64`;
  if (existsSync(bin)) {
    out['10.0'] = {
      path: bin,
      env: { LD_LIBRARY_PATH: [`${root}/usr/lib/x86_64-linux-gnu`, `${root}/lib/x86_64-linux-gnu`, process.env.LD_LIBRARY_PATH ?? ''].join(':') },
      extraArgs: ['-L', `${root}/usr/share/qemu`],
    };
  }
  return out;
}

function show(o: Outcome): string {
  return 'error' in o ? `error ${JSON.stringify(o.error)}${o.hint ? ` hint ${JSON.stringify(o.hint)}` : ''}` : o.registers.map(hex).join(' ');
}

const bins = binaries();
let failed = false;
for (const profile of ['7.2', '10.0'] as const) {
  const bin = bins[profile];
  const cases = oracleCases().filter((c) => c.profile === profile);
  if (!bin) {
    console.log(`profile ${profile}: qemu-system-aarch64 not found — ${cases.length} cases not run`);
    failed = true;
    continue;
  }
  let ok = 0;
  // Two QEMUs at a time; results are printed in case order.
  const results: Promise<string>[] = [];
  let running = Promise.resolve();
  for (let i = 0; i < cases.length; i += 2) {
    const batch = cases.slice(i, i + 2);
    running = running.then(async () => {
      const got = await Promise.all(batch.map((c) => runQtest(bin, c.args, SMMU_READS)));
      got.forEach((g, j) => results.push(Promise.resolve(show(g))) && void j);
    });
  }
  await running;
  for (const [i, c] of cases.entries()) {
    const got = await results[i]!;
    const want = show(c.model());
    if (got === want) ok++;
    else console.log(`MISMATCH [${profile}] ${c.name}\n  qemu:  ${got}\n  model: ${want}`);
  }
  console.log(`profile ${profile}: ${ok}/${cases.length} match`);
  if (ok !== cases.length) failed = true;
}
process.exitCode = failed ? 1 : 0;
