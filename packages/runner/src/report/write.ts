import { InputError } from '@viommu/core';
import { writeFileSync } from 'node:fs';

/**
 * Writes a report file (`-` is standard output, through `out`).
 * @throws InputError naming the option and the path when the file cannot be written.
 */
export function writeReport(path: string, text: string, option: string, out: (t: string) => void): void {
  if (path === '-') {
    out(text);
    return;
  }
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new InputError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, option);
  }
}
