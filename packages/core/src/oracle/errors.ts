/**
 * The oracle itself could not answer: QEMU is missing and cannot be installed, apt or the
 * network failed, QEMU hung or spoke something that is not the qtest protocol. The message
 * is one line that says what to do. A configuration QEMU refuses is not an `OracleError`:
 * that is an answer ({@link QtestRefusal}).
 */
export class OracleError extends Error {
  override readonly name = 'OracleError';
}
