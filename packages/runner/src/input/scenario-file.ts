import { InputError } from '@viommu/core';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { findHost } from '../hosts/catalogue.js';
import { checkSchema } from '../schema/validate.js';
import { splitShellWords } from './qemu-args.js';

/** One scenario of a scenario file (`schemas/scenario.schema.json`), paths resolved. */
export interface ScenarioSpec {
  /** `name`, or `<file>#<n>`. */
  readonly name: string;
  /** A catalogue id, or a path resolved against the scenario file's directory. */
  readonly host: string;
  readonly qemu?: string;
  readonly argv: readonly string[];
  readonly expect?: { readonly ok: boolean; readonly message?: string };
}

interface ScenarioJson {
  name?: string;
  host: string;
  qemu?: string;
  qemuArgs: string | string[];
  expect?: { ok: boolean; message?: string };
}

/**
 * Reads a scenario file: JSON checked against `schemas/scenario.schema.json` with Ajv.
 * @throws InputError naming the file (and the JSON path) when it is unreadable, not JSON or
 *   not a valid scenario file.
 */
export function loadScenarioFile(path: string): ScenarioSpec[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read scenario file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new InputError(`not JSON: ${(e as Error).message}`, path);
  }
  checkSchema('scenario', data, path);
  const list = (Array.isArray(data) ? data : [data]) as ScenarioJson[];
  return list.map((s, i) => {
    const where = `${path}#${i + 1}`;
    const relative = resolve(dirname(path), s.host);
    return {
      name: s.name ?? where,
      host: findHost(s.host) || !existsSync(relative) ? s.host : relative,
      ...(s.qemu !== undefined ? { qemu: s.qemu } : {}),
      argv: typeof s.qemuArgs === 'string' ? splitShellWords(s.qemuArgs, where) : s.qemuArgs,
      ...(s.expect ? { expect: s.expect } : {}),
    };
  });
}
