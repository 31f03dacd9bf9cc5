export { machineContext, type MachineOpts, type TestMachine } from './machine.js';
export { pairs, realizeContext } from './realize.js';
export { wiredScenario, type Register, type WiredScenario } from './wired.js';
