import { qemuSet, type OracleVersion } from '@viommu/core/oracle';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `npm run test:oracle`: records the legacy attach again on each oracle QEMU (7.2 on the
 * system, 10.0 unpacked by `@viommu/core/oracle`) with `oracle/record-qemu.sh` and checks it
 * equals the committed fixture, which `test/oracle.test.ts` compares with the simulation.
 * Needs root (mount namespace) and gcc. Exit code 1 on any difference.
 */
const out = mkdtempSync(join(tmpdir(), 'legacy-vfio-oracle-'));
let failed = false;
try {
  for (const profile of ['7.2', '10.0'] as OracleVersion[]) {
    const { x86_64: q } = await qemuSet(profile, { install: process.env.VIOMMU_ORACLE_INSTALL === '1' });
    const r = spawnSync('sh', ['oracle/record-qemu.sh', profile, q.path, ...q.args], { env: { ...process.env, ...q.env, OUT: out }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`record-qemu.sh ${profile}: ${r.stderr}`);
    const name = `qemu-${profile}-legacy-attach.json`;
    const fresh = JSON.parse(readFileSync(join(out, name), 'utf8')) as { runs: unknown; hotplug: unknown };
    const kept = JSON.parse(readFileSync(join('test/fixtures', name), 'utf8')) as { runs: unknown; hotplug: unknown };
    const same = JSON.stringify([fresh.runs, fresh.hotplug]) === JSON.stringify([kept.runs, kept.hotplug]);
    console.log(`${q.versionLine}: ${same ? 'matches' : 'DIFFERS FROM'} test/fixtures/${name}`);
    if (!same) failed = true;
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
