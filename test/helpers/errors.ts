import { expect } from 'vitest';

import { HawkgraphError } from '../../dist/index.js';

/** Asserts that `make` throws a HawkgraphError with this code and a message matching `pattern`. */
export function refused(make: () => unknown, code: string, pattern: RegExp): void {
  let caught: unknown;
  try {
    make();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(HawkgraphError);
  expect((caught as HawkgraphError).code).toBe(code);
  expect((caught as HawkgraphError).message).toMatch(pattern);
}

/** The HawkgraphError `make` throws (the test fails if it throws anything else, or nothing). */
export function refusal(make: () => unknown): HawkgraphError {
  try {
    make();
  } catch (err) {
    expect(err).toBeInstanceOf(HawkgraphError);
    return err as HawkgraphError;
  }
  throw new Error('expected a HawkgraphError, but the call was accepted');
}
