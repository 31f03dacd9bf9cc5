/** Host printout parsers: VT-d units from kernel boot logs and from sysfs. */
export * from './boot-log.js';
export * from './sysfs.js';
