/** Host printout parsers: SMMUv3 units from kernel boot logs, and their sysfs names. */
export * from './boot-log.js';
export * from './sysfs.js';
