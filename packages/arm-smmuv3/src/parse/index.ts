/** Host printout parsers: SMMUv3 units from kernel boot logs. */
export * from './boot-log.js';
