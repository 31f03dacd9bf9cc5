import { suiteBackendRule, type SuiteExpected, type SuiteRules } from '@viommu/core';
import { TYPE_NAME } from './properties.js';

const OK: SuiteExpected = { ok: true, why: 'aw-bits 39 fits every VT-d unit' };

/**
 * Scenarios for `viommu suite`: each property set's command line, and its expected outcome
 * computed from the host (here: only whether the backend exists), never by running the engine.
 */
export const SUITE: SuiteRules = {
  typeName: TYPE_NAME,
  vendor: '__VENDOR__',
  arch: 'x86_64',
  hostVendors: ['intel'],
  sets: [
    {
      name: 'aw-bits=39',
      vmArgs: () => ['-machine', 'q35', '-accel', 'kvm', '-device', `${TYPE_NAME},aw-bits=39`],
      expect: (i) => suiteBackendRule(i) ?? OK,
    },
  ],
};
