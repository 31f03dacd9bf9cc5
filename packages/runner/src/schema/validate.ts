import type { ErrorObject, ValidateFunction } from 'ajv';
import { InputError } from '@viommu/core';
import { readFileSync } from 'node:fs';
import { VALIDATORS } from './validators.js';

/** The JSON Schemas this package publishes in `schemas/` (besides the host profile's). */
export type SchemaName = 'verdict' | 'suite-result' | 'scenario' | 'scenario-run';

/** A published schema as JSON. */
export function loadSchema(name: SchemaName): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../../schemas/${name}.schema.json`, import.meta.url), 'utf8'));
}

/** The validator of a published schema, compiled at build time (`scripts/gen-validators.mjs`). */
export function validator(name: SchemaName): ValidateFunction {
  return VALIDATORS[name]!;
}

/** `/0/qemuArgs: must be array` — an Ajv error with its JSON path (`(root)` for the top). */
function describe(e: ErrorObject): string {
  const extra = e.keyword === 'additionalProperties' ? ` '${(e.params as { additionalProperty: string }).additionalProperty}'` : e.keyword === 'enum' ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})` : '';
  return `${e.instancePath || '(root)'}: ${e.message ?? e.keyword}${extra}`;
}

/**
 * Checks `data` against a published schema.
 * @throws InputError naming `where` and the JSON path of the most specific violation.
 */
export function checkSchema(name: SchemaName, data: unknown, where: string): void {
  const v = validator(name);
  if (v(data)) return;
  // The deepest error is the most specific (a `oneOf` also reports each branch's failure at the top).
  const deepest = v.errors!.reduce((a, e) => (e.instancePath.split('/').length > a.instancePath.split('/').length ? e : a));
  throw new InputError(`not a valid ${name} (schemas/${name}.schema.json): ${describe(deepest)}`, where);
}
