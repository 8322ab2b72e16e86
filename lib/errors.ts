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
  | 'ERR_ABORTED';

export class HawkgraphError extends Error {
  readonly code: HawkgraphErrorCode;

  constructor(code: HawkgraphErrorCode, message: string) {
    super(message);
    this.name = 'HawkgraphError';
    this.code = code;
  }
}

/** Describes a value for an error message without dumping large objects. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(value);
    case 'function':
      return 'a function';
    default:
      return 'an object';
  }
}
