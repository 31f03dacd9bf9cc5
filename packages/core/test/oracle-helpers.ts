import { OracleError } from '@viommu/core/oracle';
import { rejected } from '@viommu/test-support';
import { expect } from 'chai';

/** Expects `p` to reject with an OracleError whose message is `message`. */
export async function expectOracleError(p: Promise<unknown>, message: string): Promise<void> {
  expect((await rejected(OracleError, p)).message).to.equal(message);
}
