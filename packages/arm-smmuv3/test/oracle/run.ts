import { hex } from '@viommu/core';
import { isRefusal, qemuBinaries, runQtestAll, type QtestResult } from '@viommu/core/oracle';
import { oracleCases, SMMU_READS, type Outcome } from './cases.js';

/**
 * `npm run test:oracle`: every case of `oracleCases()` run on the real QEMU of its profile
 * (`@viommu/core/oracle`: Debian's 7.2 and bookworm-backports' 10.0) and compared with the
 * plugin, register by register and message by message (hint lines included). Prints
 * "N/M match" per profile and every mismatch; exits 1 on any mismatch.
 */
function outcome(r: QtestResult): Outcome {
  if (!isRefusal(r)) return { registers: r.values };
  const lines = r.stderr.split('\n');
  const after = lines.slice(lines.indexOf(r.error) + 1).filter((l) => l && !/^qemu-system-[\w-]+: /.test(l));
  return after.length ? { error: r.message, hint: after.join('\n') } : { error: r.message };
}

function show(o: Outcome): string {
  return 'error' in o ? `error ${JSON.stringify(o.error)}${o.hint ? ` hint ${JSON.stringify(o.hint)}` : ''}` : o.registers.map(hex).join(' ');
}

const sets = await qemuBinaries();
let failed = false;
for (const profile of ['7.2', '10.0'] as const) {
  const binary = sets[profile].aarch64;
  const cases = oracleCases().filter((c) => c.profile === profile);
  const results = await runQtestAll(cases.map((c) => ({ binary, args: c.args, reads: SMMU_READS })), 2);
  let ok = 0;
  cases.forEach((c, i) => {
    const got = show(outcome(results[i]!));
    const want = show(c.model());
    if (got === want) ok++;
    else console.log(`MISMATCH [${profile}] ${c.name}\n  qemu:  ${got}\n  model: ${want}`);
  });
  console.log(`profile ${profile} (${binary.versionLine}): ${ok}/${cases.length} match`);
  if (ok !== cases.length) failed = true;
}
process.exitCode = failed ? 1 : 0;
