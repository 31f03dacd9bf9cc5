import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ProfileId } from '@viommu/core';
import { generateCases } from './generate.js';
import { diffAnswers, modelIntelIommu } from './model.js';
import { qtestIntelIommu, type QemuAnswer } from './qtest.js';

/** The oracle binaries: Debian's QEMU 7.2 on PATH, QEMU 10.0 unpacked under `.cache/qemu/10.0`. */
const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));
const ORACLES: { profile: ProfileId; binary: string; seed: number }[] = [
  { profile: '7.2', binary: process.env.VIOMMU_QEMU_7_2 ?? 'qemu-system-x86_64', seed: 0x7202 },
  { profile: '10.0', binary: process.env.VIOMMU_QEMU_10_0 ?? `${repoRoot}.cache/qemu/10.0/usr/bin/qemu-system-x86_64`, seed: 0x1000 },
];
const CASES = Number(process.env.VIOMMU_ORACLE_CASES ?? 300);
const PARALLEL = 8;

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

let failed = false;
for (const { profile, binary, seed } of ORACLES) {
  if (binary.includes('/') && !existsSync(binary)) {
    console.log(`profile ${profile}: ${binary} not found, skipped`);
    continue;
  }
  const cases = generateCases(profile, seed, CASES);
  const answers = await mapLimit(cases, PARALLEL, (o) => qtestIntelIommu(binary, o));
  let match = 0;
  let refused = 0;
  cases.forEach((o, i) => {
    const q: QemuAnswer = answers[i]!;
    if (!q.ok) refused++;
    const d = diffAnswers(q, modelIntelIommu(profile, o));
    if (d.length === 0) match++;
    else console.log(`MISMATCH ${profile} -device intel-iommu,${o}\n  ${d.join('\n  ')}`);
  });
  console.log(`profile ${profile} (${binary}): ${match}/${cases.length} match (${refused} refused by QEMU, ${cases.length - refused} with registers)`);
  if (match !== cases.length) failed = true;
}
process.exitCode = failed ? 1 : 0;
