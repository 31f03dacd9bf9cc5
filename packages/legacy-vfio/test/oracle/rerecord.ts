import { qemuSet, type OracleVersion } from '@viommu/core/oracle';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `npm run test:oracle`: records again on each oracle QEMU (7.2 on the system, 10.0 unpacked
 * by `@viommu/core/oracle`) — the legacy attach with `oracle/record-qemu.sh`, and on 10.0 the
 * host aw-bits with `oracle/record-aw-bits.sh` — and checks the results equal the committed
 * fixtures, which `test/oracle.test.ts` and `test/aw-bits-oracle.test.ts` compare with the simulation.
 * Needs root (mount namespace) and gcc. Exit code 1 on any difference.
 */
const out = mkdtempSync(join(tmpdir(), 'legacy-vfio-oracle-'));
let failed = false;
try {
  for (const profile of ['7.2', '10.0'] as OracleVersion[]) {
    const { x86_64: q } = await qemuSet(profile, { install: process.env.VIOMMU_ORACLE_INSTALL === '1' });
    const recordings = [['record-qemu.sh', 'attach']];
    if (profile !== '7.2') recordings.push(['record-aw-bits.sh', 'aw-bits']);
    for (const [script, what] of recordings) {
      const r = spawnSync('sh', [`oracle/${script}`, profile, q.path, ...q.args], { env: { ...process.env, ...q.env, OUT: out }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${script} ${profile}: ${r.stderr}`);
      const name = `qemu-${profile}-legacy-${what}.json`;
      const results = (f: string) => {
        const { qemu: _version, ...rest } = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
        return JSON.stringify(rest);
      };
      const same = results(join(out, name)) === results(join('test/fixtures', name));
      console.log(`${q.versionLine}: ${same ? 'matches' : 'DIFFERS FROM'} test/fixtures/${name}`);
      if (!same) failed = true;
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
