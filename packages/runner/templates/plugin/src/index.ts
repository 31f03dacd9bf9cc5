/** __PACKAGE__: `-device __TYPE__` as a viommu plugin. */
export * from './properties.js';
export * from './device.js';
export * from './plugin.js';
export * from './suite.js';
export * from './register.js';
