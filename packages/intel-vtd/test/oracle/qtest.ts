import { spawn } from 'node:child_process';
import { isRefusal, runQtest, type QemuBinary } from '@viommu/core/oracle';

/** What a real QEMU said for one `-device intel-iommu,<options>`: the registers or the error. */
export type QemuAnswer = { ok: true; ver: bigint; cap: bigint; ecap: bigint } | { ok: false; error: string };

/** VER, CAP and ECAP of the VT-d unit at `Q35_HOST_BRIDGE_IOMMU_ADDR`. */
const READS = [
  { op: 'readl', addr: 0xfed90000n },
  { op: 'readq', addr: 0xfed90008n },
  { op: 'readq', addr: 0xfed90010n },
] as const;

/**
 * `-machine q35,kernel-irqchip=split -device intel-iommu,<options>` under qtest (TCG):
 * VER/CAP/ECAP, or QEMU's message when it refuses to start.
 */
export async function qtestIntelIommu(binary: QemuBinary, options: string): Promise<QemuAnswer> {
  const device = options ? `intel-iommu,${options}` : 'intel-iommu';
  const r = await runQtest({ binary, args: ['-machine', 'q35,kernel-irqchip=split', '-device', device], reads: READS });
  if (isRefusal(r)) return { ok: false, error: r.message };
  const [ver, cap, ecap] = r.values as [bigint, bigint, bigint];
  return { ok: true, ver, cap, ecap };
}

/**
 * The same reads under KVM (qtest cannot run with KVM): HMP `xp /3gx 0xfed90000` on a stopped
 * machine `-machine q35[,kernel-irqchip=<mode>] -accel kvm`. Needs /dev/kvm.
 */
export function hmpIntelIommuKvm(binary: QemuBinary, kernelIrqchip: string | null, options: string, timeoutMs = 20000): Promise<QemuAnswer> {
  const device = options ? `intel-iommu,${options}` : 'intel-iommu';
  const machine = kernelIrqchip ? `q35,kernel-irqchip=${kernelIrqchip}` : 'q35';
  const args = [...binary.args, '-machine', machine, '-accel', 'kvm', '-S', '-monitor', 'stdio', '-display', 'none', '-nodefaults', '-device', device];
  return new Promise((resolve, reject) => {
    const child = spawn(binary.path, args, { env: { ...process.env, ...binary.env } });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${binary.path} -device ${device}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdin.on('error', () => undefined);
    child.on('close', () => {
      clearTimeout(timer);
      const m1 = /fed90000: (0x[0-9a-f]+) (0x[0-9a-f]+)/.exec(out);
      const m2 = /fed90010: (0x[0-9a-f]+)/.exec(out);
      if (m1 && m2) return resolve({ ok: true, ver: BigInt(m1[1]!), cap: BigInt(m1[2]!), ecap: BigInt(m2[1]!) });
      const prefix = `-device ${device}: `;
      const line = err.split('\n').find((l) => l.includes(prefix));
      if (!line) return reject(new Error(`${binary.path} -device ${device}: no registers and no error:\n${err}`));
      resolve({ ok: false, error: line.slice(line.indexOf(prefix) + prefix.length) });
    });
    child.stdin.write('xp /3gx 0xfed90000\nquit\n');
  });
}
