export { caught, rejected, thrown, type ErrorClass } from './errors.js';
export { describeLibraryPackage } from './package-manifest.js';
