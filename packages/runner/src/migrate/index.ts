/** Live-migration compatibility: the same VM on two hosts, compared check by check and register by register. */
export { checkMigration, describeProblem, formatMigration, migrationToJson, type MigrationProblem, type MigrationResult } from './check.js';
