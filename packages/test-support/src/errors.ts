import { expect } from 'chai';

/** A class of errors: `QemuError`, `KernelError`, `InputError`, … */
export type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/**
 * What `fn` ends with: the `type` error it throws, or `undefined` when it returns. An error
 * of another class propagates, so a test never mistakes a bug for the refusal it expects.
 */
export function caught<E extends Error>(type: ErrorClass<E>, fn: () => unknown): E | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof type) return e;
    throw e;
  }
  return undefined;
}

/** The `type` error `fn` throws; returning normally fails the test. */
export function thrown<E extends Error>(type: ErrorClass<E>, fn: () => unknown): E {
  return caught(type, fn) ?? expect.fail(`expected a ${type.name}, but the call returned`);
}

/** The `type` error `p` rejects with; fulfilling fails the test, another error propagates. */
export async function rejected<E extends Error>(type: ErrorClass<E>, p: Promise<unknown>): Promise<E> {
  try {
    await p;
  } catch (e) {
    if (e instanceof type) return e;
    throw e;
  }
  return expect.fail(`expected a ${type.name}, but the promise fulfilled`);
}
