/** Hawkes processes, live intensities and the 8-event LOB model (docs/hawkes.md): the public API. */
export { HawkesProcess } from './process';
export { HawkesIntensity } from './intensity';
export type { HawkesIntensityOptions, TimeUnit } from './intensity';
export { LobModel } from './lob';
export { exp1Qq, goodnessOfFitFor, ksExp1 } from './gof';
export type { GoodnessOfFitOptions, HawkesGoodnessOfFit, HawkesTypeGoodness, KsTest, QqPoints } from './gof';
export { kolmogorovSf } from './kolmogorov';
export type { LobJumps, LobModelOptions, LobSimulation } from './lob';
export type { LobEvent, LobEventColumns, LobFit, LobFitOptions, LobJumpFit } from './lob-fit';
export type { JumpLawFit } from './lob-jumps';
export { LOB_EVENT_TYPES } from './types';
export type * from './types';
