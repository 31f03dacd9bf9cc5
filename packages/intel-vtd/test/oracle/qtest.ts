import { spawn } from 'node:child_process';

/** What a real QEMU said for one `-device intel-iommu,<options>`: the registers or the error. */
export type QemuAnswer = { ok: true; ver: bigint; cap: bigint; ecap: bigint } | { ok: false; error: string };

export const QTEST_ARGS = ['-machine', 'q35,kernel-irqchip=split', '-accel', 'tcg', '-S', '-qtest', 'stdio', '-display', 'none', '-nodefaults'];
const READS = 'readl 0xfed90000\nreadq 0xfed90008\nreadq 0xfed90010\n';

/**
 * Runs `binary` under qtest with `-device intel-iommu,<options>`, reads VER, CAP and ECAP at
 * 0xfed90000, and stops QEMU once the three answers are in (qtest does not exit on EOF).
 * A failed start yields the message after QEMU's `<binary>: -device …: ` prefix.
 */
export function qtestIntelIommu(binary: string, options: string, timeoutMs = 20000): Promise<QemuAnswer> {
  const device = options ? `intel-iommu,${options}` : 'intel-iommu';
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [...QTEST_ARGS, '-device', device], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const values: bigint[] = [];
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${binary} -device ${device}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const line of lines) {
        const m = /^OK (0x[0-9a-f]+)$/.exec(line.trim());
        if (m) values.push(BigInt(m[1]!));
      }
      if (values.length === 3) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve({ ok: true, ver: values[0]!, cap: values[1]!, ecap: values[2]! });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', () => {
      if (values.length === 3) return;
      clearTimeout(timer);
      const prefix = `-device ${device}: `;
      const line = err.split('\n').find((l) => l.includes(prefix));
      if (!line) return reject(new Error(`${binary} -device ${device}: exited without answer or error:\n${err}`));
      resolve({ ok: false, error: line.slice(line.indexOf(prefix) + prefix.length) });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.write(READS);
  });
}

/**
 * The same reads under KVM (qtest cannot run with KVM): HMP `xp /3gx 0xfed90000` on a stopped
 * machine `-machine q35[,kernel-irqchip=<mode>] -accel kvm`.
 */
export function hmpIntelIommuKvm(binary: string, kernelIrqchip: string | null, options: string, timeoutMs = 20000): Promise<QemuAnswer> {
  const device = options ? `intel-iommu,${options}` : 'intel-iommu';
  const machine = kernelIrqchip ? `q35,kernel-irqchip=${kernelIrqchip}` : 'q35';
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['-machine', machine, '-accel', 'kvm', '-S', '-monitor', 'stdio', '-display', 'none', '-nodefaults', '-device', device]);
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${binary} -device ${device}: no answer in ${timeoutMs} ms`));
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
      if (!line) return reject(new Error(`${binary} -device ${device}: no registers and no error:\n${err}`));
      resolve({ ok: false, error: line.slice(line.indexOf(prefix) + prefix.length) });
    });
    child.stdin.write('xp /3gx 0xfed90000\nquit\n');
  });
}
