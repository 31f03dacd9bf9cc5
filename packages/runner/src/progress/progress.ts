import cliProgress from 'cli-progress';
import { coloursFor } from './colour.js';

/** Progress of a long run: `update(done, total)` after each item, `stop()` at the end. */
export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

const SILENT: Progress = { update() {}, stop() {} };

/**
 * A progress bar on `stream` (stderr) with counts, rate and ETA, when `stream` is a TTY; a
 * no-op otherwise, so pipes, files and CI logs get nothing. The bar is erased when done.
 */
export function progressBar(what: string, stream: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env): Progress {
  if (!stream.isTTY) return SILENT;
  const c = coloursFor(stream, env);
  const bar = new cliProgress.SingleBar({
    stream,
    format: `${c.cyan('{bar}')} {value}/{total} ${what} | {rate}/s | ETA {eta_formatted}`,
    barCompleteChar: '\u2588',
    barIncompleteChar: '\u2591',
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 200,
  });
  const start = performance.now();
  let started = false;
  return {
    update(done, total) {
      const seconds = (performance.now() - start) / 1000;
      const rate = seconds > 0 ? String(Math.round(done / seconds)) : '–';
      if (!started) {
        bar.start(total, done, { rate });
        started = true;
      } else bar.update(done, { rate });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
