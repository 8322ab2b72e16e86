/**
 * The addon's Hawkes goodness-of-fit surface (native/addon/hawkes_gof_wrap.cpp). Types only;
 * reached through native() (lib/native/index.ts). Depends on nothing.
 */

export interface NativeHawkesResiduals {
  /** [n] event i's compensator increment since the previous event of its type (or the window start). */
  residuals: Float64Array;
  /** [D] the censored remainder of each type's compensator, from its last event to endTime. */
  tail: Float64Array;
}

export interface NativeHawkesGof {
  /** mu [D], alpha and beta [D * D] row-major; the window is [startTime, endTime]. */
  hawkesResiduals(
    mu: Float64Array, alpha: Float64Array, beta: Float64Array, times: Float64Array, types: Int32Array, endTime: number, startTime: number,
  ): NativeHawkesResiduals;
}
