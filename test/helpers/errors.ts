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
