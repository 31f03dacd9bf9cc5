/**
 * Fleet placement: for every VM shape, the hosts that take it and, for the rest, QEMU's
 * reason, with work keyed by what the decision reads (`decisionKey`).
 */
export { decisionKey, projectHost } from './key.js';
export { loadShapes, vmShape, passthroughBdfs, type VmShape } from './shapes.js';
export { loadFleetHosts } from './hosts-input.js';
export { planFleet, hostsOf, type FleetPlan, type FleetOptions, type ShapePlacement, type RefusalGroup } from './plan.js';
export { fleetToJson, formatFleet } from './format.js';
export type { Outcome } from './outcome.js';
