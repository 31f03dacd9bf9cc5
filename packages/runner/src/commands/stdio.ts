import type { CommandIo } from './command.js';

/*
 * Standard input and output through the descriptors (fd 0 and 1, `readSync`/`writeSync`)
 * rather than `process.stdin`/`process.stdout`: those streams load Node's stream, net and tty
 * modules, a good part of a short command's start-up (`viommu regs` answers in a few ms).
 * `node:fs` comes from `process.getBuiltinModule`: its ESM facade would load the streams too.
 * A non-blocking descriptor (`EAGAIN`, e.g. a pipe the parent shares) goes on as a stream;
 * a reader that went away (`EPIPE`, `viommu … | head -1`) gets no more output and no error.
 */
const fs = process.getBuiltinModule('node:fs');
const CHUNK = 1 << 16;

const errCode = (e: unknown): unknown => (e as NodeJS.ErrnoException | null)?.code;

/** All of fd 0 as UTF-8. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for (;;) {
    const buf = Buffer.allocUnsafe(CHUNK);
    let n: number;
    try {
      n = fs.readSync(0, buf, 0, CHUNK, null);
    } catch (e) {
      if (errCode(e) === 'EOF') break; // a Windows pipe at its end
      if (errCode(e) !== 'EAGAIN') throw e;
      for await (const c of process.stdin) chunks.push(c as Buffer);
      break;
    }
    if (n === 0) break;
    chunks.push(buf.subarray(0, n));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Set once fd 1 said `EAGAIN`: everything after goes through the stream, in order. */
let stdoutStream: NodeJS.WriteStream | undefined;
/** Set once fd 1 said `EPIPE`. */
let stdoutClosed = false;

function writeStdout(text: string): void {
  if (stdoutClosed) return;
  if (stdoutStream) {
    stdoutStream.write(text);
    return;
  }
  const bytes = Buffer.from(text, 'utf8');
  for (let off = 0; off < bytes.length; ) {
    try {
      off += fs.writeSync(1, bytes, off);
    } catch (e) {
      if (errCode(e) === 'EPIPE') {
        stdoutClosed = true;
        return;
      }
      if (errCode(e) !== 'EAGAIN') throw e;
      stdoutStream = process.stdout;
      stdoutStream.write(bytes.subarray(off));
      return;
    }
  }
}

const line = (t: string) => (t.endsWith('\n') ? t : `${t}\n`);

/** The CLI's `CommandIo`: stdout and stdin by descriptor, stderr (rare, and shared with progress bars) as `process.stderr`. */
export const PROCESS_IO: CommandIo = {
  out: (t) => writeStdout(line(t)),
  err: (t) => void process.stderr.write(line(t)),
  stdin: readStdin,
};
