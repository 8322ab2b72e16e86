/**
 * The one error class hawkgraph throws. `code` is stable across versions; match on it, not on
 * the message. The native addon throws this very class (it is handed over at load time).
 */
export type HawkgraphErrorCode =
  | 'ERR_NATIVE_LOAD'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_INVALID_OPTION'
  | 'ERR_ENGINE_CLOSED'
  | 'ERR_MAX_SYMBOLS'
  | 'ERR_BACKEND_UNAVAILABLE'
  | 'ERR_CUDA'
  | 'ERR_OUT_OF_MEMORY'
  | 'ERR_INTERNAL'
  | 'ERR_MODEL_READ'
  | 'ERR_MODEL_HEADER'
  | 'ERR_MODEL_OFFSETS'
  | 'ERR_MODEL_DTYPE'
  | 'ERR_MODEL_SHAPE'
  | 'ERR_MODEL_TENSOR_MISSING'
  | 'ERR_MODEL_TENSOR_UNEXPECTED'
  | 'ERR_MODEL_NONFINITE'
  | 'ERR_MODEL_METADATA'
  | 'ERR_MODEL_TOPOLOGY'
  | 'ERR_MODEL_INCOMPATIBLE'
  | 'ERR_BOOK_TYPE'
  | 'ERR_BOOK_EMPTY'
  | 'ERR_BOOK_LENGTH'
  | 'ERR_BOOK_NONFINITE'
  | 'ERR_BOOK_NONPOSITIVE'
  | 'ERR_BOOK_ORDER'
  | 'ERR_BOOK_CROSSED'
  | 'ERR_HAWKES_PARAMETER'
  | 'ERR_HAWKES_UNSTABLE'
  | 'ERR_HAWKES_EVENTS'
  | 'ERR_FIT_UNIDENTIFIABLE'
  | 'ERR_POLICY'
  | 'ERR_DATASET'
  | 'ERR_ABORTED'
  | 'ERR_OPTIONAL_DEPENDENCY';

export class HawkgraphError extends Error {
  readonly code: HawkgraphErrorCode;

  constructor(code: HawkgraphErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HawkgraphError';
    this.code = code;
  }
}

/** Describes a value for an error message without dumping large objects; never throws. */
export function describe(value: unknown): string {
  try {
    if (value === null) return 'null';
    // ArrayBuffer.isView first: it reads no property and is false for a Proxy, whose traps may throw.
    if (ArrayBuffer.isView(value)) {
      const name = value.constructor.name;
      return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
    }
    if (Array.isArray(value)) return `an array of length ${value.length}`;
    switch (typeof value) {
      case 'string':
        return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
      case 'bigint':
        return `${value}n (a BigInt)`;
      case 'symbol':
        return `a symbol (${String(value)})`;
      case 'number':
      case 'boolean':
      case 'undefined':
        return String(value);
      case 'function':
        return 'a function';
      default:
        return 'an object';
    }
  } catch {
    return 'an unreadable value';
  }
}

/**
 * Runs `read`, which reads values a caller passed. When the caller's own code throws there (a
 * getter, a Proxy trap), the input cannot be read: that becomes a HawkgraphError with `code`
 * naming `what`, the original error as its `cause`. HawkgraphErrors pass through unchanged.
 */
export function readInput<T>(code: HawkgraphErrorCode, what: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw unreadable(code, what, err);
  }
}

/** The error readInput throws for `err` (a HawkgraphError is returned as it is). */
export function unreadable(code: HawkgraphErrorCode, what: string, err: unknown): HawkgraphError {
  if (err instanceof HawkgraphError) return err;
  let reason: string;
  try {
    reason = err instanceof Error ? String(err.message) : describe(err);
  } catch {
    reason = 'an unreadable error';
  }
  return new HawkgraphError(code, `${what} could not be read: ${reason}`, { cause: err });
}
