import { mapBounded, qemuSet, type OracleVersion } from '@viommu/core/oracle';
import { generateCases } from './generate.js';
import { diffAnswers, modelIntelIommu } from './model.js';
import { qtestIntelIommu } from './qtest.js';

/**
 * `npm run test:oracle`: for each oracle QEMU (7.2 on the system, 10.0 unpacked by
 * `@viommu/core/oracle`), 300 seeded `-device intel-iommu,<options>` cases compared with the
 * profile of the same name, field by field. Exit code 1 on any mismatch.
 */
const ORACLES: { profile: OracleVersion; seed: number }[] = [
  { profile: '7.2', seed: 0x7202 },
  { profile: '10.0', seed: 0x1000 },
];
const CASES = Number(process.env.VIOMMU_ORACLE_CASES ?? 300);
const PARALLEL = 8;

let failed = false;
for (const { profile, seed } of ORACLES) {
  const { x86_64: binary } = await qemuSet(profile, { install: process.env.VIOMMU_ORACLE_INSTALL === '1' });
  const cases = generateCases(profile, seed, CASES);
  const answers = await mapBounded(cases, PARALLEL, (o) => qtestIntelIommu(binary, o));
  let match = 0;
  let refused = 0;
  cases.forEach((o, i) => {
    const q = answers[i]!;
    if (!q.ok) refused++;
    const d = diffAnswers(q, modelIntelIommu(profile, o));
    if (d.length === 0) match++;
    else console.log(`MISMATCH ${profile} -device intel-iommu,${o}\n  ${d.join('\n  ')}`);
  });
  console.log(`profile ${profile} (${binary.versionLine}): ${match}/${cases.length} match (${refused} refused by QEMU, ${cases.length - refused} with registers)`);
  if (match !== cases.length) failed = true;
}
process.exitCode = failed ? 1 : 0;
