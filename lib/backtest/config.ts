/**
 * A backtest config, read once and checked (ERR_INVALID_OPTION naming the field), with every
 * default filled in: the resolved config results report, and the options native code runs.
 */
import { HawkgraphError, describe, readInput } from '../errors';
import { hawkesOption } from '../hawkes/lob';
import { quoteTicks, readJumps } from '../hawkes/lob-params';
import { HawkesProcess } from '../hawkes/process';
import type { NativeBacktestOptions } from '../native';
import { LIB_LIMITS, LIMITS } from '../native/layouts';
import { checkKeys, integerOption as int, numberOption as num, optionError as fail, simulationThreads } from '../options';
import { PAPER_SETTING as D } from './defaults';
import { nativeStrategy, strategyName } from './strategy';
import type { BacktestConfig, ResolvedBacktestConfig, Strategy, StrategyCallback } from './types';

/**
 * The step rule: steps of dt until the horizon, the last one possibly shorter; a horizon within
 * LIMITS.stepTolerance of a whole number of steps is that number (0.3 / 0.1 is 3 steps, not 4).
 */
export function stepCount(horizon: number, dt: number): number {
  return Math.max(1, Math.ceil(horizon / dt - LIMITS.stepTolerance));
}

const CONFIG_KEYS = new Set([
  'strategy', 'hawkes', 'jumps', 'tick', 'initialBid', 'initialAsk', 'horizon', 'dt', 'paths', 'seed', 'threads', 'inventoryLimit',
  'fees', 'phi', 'Z1', 'Z2', 'Z3', 'fillAtSweepStop', 'eventLoop', 'noiseVariance', 'timeGrid', 'backend', 'record',
]);

/** A config read and checked: what results report, the process, the native options, the callback. */
export interface Prepared {
  resolved: ResolvedBacktestConfig;
  process: HawkesProcess;
  native: NativeBacktestOptions;
  callback?: StrategyCallback;
}

/** Reads a caller's config once and checks it (ERR_INVALID_OPTION naming the field). */
export function prepare(config: unknown): Prepared {
  if (config === null || typeof config !== 'object') fail(`backtest config must be an object, got ${describe(config)}`);
  return readInput('ERR_INVALID_OPTION', 'backtest config', () => readConfig(config as Record<string, unknown>));
}

function readConfig(c: Record<string, unknown>): Prepared {
  checkKeys(c, CONFIG_KEYS, 'config field');
  // Read once: a getter may answer differently each time, and the run must be the one named.
  const userStrategy = c.strategy;
  const strategy = nativeStrategy(userStrategy);
  const process = c.hawkes === undefined ? new HawkesProcess(D.hawkes) : hawkesOption(c.hawkes);
  // A HawkesProcess made with allowExplosive: a backtest runs to the horizon, with no event cap.
  if (!(process.branchingRatio() < 1)) {
    throw new HawkgraphError('ERR_HAWKES_UNSTABLE', `hawkes: the spectral radius of alpha / beta is ${process.branchingRatio()}, not below 1: a backtest needs a stable process (it has no event cap)`);
  }
  const { location, scale } = readJumps(c.jumps, D.jumps);
  const tick = num(c.tick, 'tick', D.tick, (x) => x > 0, 'a finite number > 0');
  const initialBid = num(c.initialBid, 'initialBid', D.initialBid, () => true, 'a finite price');
  const initialAsk = num(c.initialAsk, 'initialAsk', D.initialAsk, () => true, 'a finite price');
  const { bidTicks, askTicks } = quoteTicks(initialBid, initialAsk, tick);
  const horizon = num(c.horizon, 'horizon', D.horizon, (x) => x > 0, 'a finite number of seconds > 0');
  const dt = num(c.dt, 'dt', D.dt, (x) => x > 0, 'a finite number of seconds > 0');
  const steps = stepCount(horizon, dt);
  if (steps > LIMITS.maxSteps) fail(`horizon / dt must be at most ${LIMITS.maxSteps.toExponential().replace('e+', 'e')} steps, got ${steps}`);
  const paths = int(c.paths, 'paths', D.paths, 1, LIMITS.maxPaths);
  const fees = c.fees === undefined ? {} : c.fees;
  if (fees === null || typeof fees !== 'object') fail(`fees must be an object { maker, taker }, got ${describe(fees)}`);
  const f = fees as Record<string, unknown>;
  for (const key of Object.keys(f)) if (key !== 'maker' && key !== 'taker') fail(`unknown field fees.${key} (expected maker, taker)`);
  const rate = (x: number) => x > -1 && x < 1;
  const backend = c.backend ?? 'cpu';
  if (backend !== 'cpu' && backend !== 'cuda') fail(`backend must be 'cpu' or 'cuda', got ${describe(backend)}`);
  if (c.record !== undefined && typeof c.record !== 'boolean') fail(`record must be a boolean, got ${describe(c.record)}`);
  const eventLoop = c.eventLoop ?? D.eventLoop;
  if (eventLoop !== 'exact' && eventLoop !== 'published' && eventLoop !== 'published-fixed') {
    fail(`eventLoop must be 'exact', 'published' or 'published-fixed', got ${describe(eventLoop)}`);
  }
  const prob = (x: number) => x >= 0 && x <= 1;
  const resolved: ResolvedBacktestConfig = {
    strategy: strategyName(userStrategy as Strategy),
    hawkes: process.params(),
    jumps: { location: Array.from(location), scale: Array.from(scale) },
    tick,
    initialBid: bidTicks * tick,
    initialAsk: askTicks * tick,
    horizon,
    dt,
    steps,
    paths,
    seed: int(c.seed, 'seed', 0, 0, Number.MAX_SAFE_INTEGER),
    threads: simulationThreads(c.threads, paths),
    inventoryLimit: int(c.inventoryLimit, 'inventoryLimit', D.inventoryLimit, 1, LIMITS.maxInventoryLimit),
    fees: {
      maker: num(f.maker, 'fees.maker', D.fees.maker, rate, 'a rate in (-1, 1) (0.002 = 0.2 %)'),
      taker: num(f.taker, 'fees.taker', D.fees.taker, rate, 'a rate in (-1, 1) (0.002 = 0.2 %)'),
    },
    phi: num(c.phi, 'phi', D.phi, (x) => x >= 0, 'a finite number >= 0'),
    Z1: num(c.Z1, 'Z1', D.Z1, prob, 'a probability in [0, 1]'),
    Z2: num(c.Z2, 'Z2', D.Z2, prob, 'a probability in [0, 1]'),
    Z3: num(c.Z3, 'Z3', D.Z3, prob, 'a probability in [0, 1]'),
    fillAtSweepStop: num(c.fillAtSweepStop, 'fillAtSweepStop', D.fillAtSweepStop, prob, 'a probability in [0, 1]'),
    eventLoop,
    noiseVariance: num(c.noiseVariance, 'noiseVariance', 0, (x) => x >= 0, 'a finite number >= 0'),
    timeGrid: int(c.timeGrid, 'timeGrid', Math.min(LIB_LIMITS.defaultTimeGrid, steps), 0, LIMITS.maxTimeGrid),
    backend,
    record: c.record === true,
  };
  resolved.timeGrid = Math.min(resolved.timeGrid, steps);
  return {
    resolved,
    process,
    callback: typeof userStrategy === 'function' ? (userStrategy as StrategyCallback) : undefined,
    native: {
      horizon, dt, tick, paths, firstPath: 0, seed: resolved.seed, threads: resolved.threads,
      inventoryLimit: resolved.inventoryLimit, z1: resolved.Z1, z2: resolved.Z2, z3: resolved.Z3,
      fillAtSweepStop: resolved.fillAtSweepStop, eventLoop, phi: resolved.phi,
      feeMaker: resolved.fees.maker, feeTaker: resolved.fees.taker, noiseVariance: resolved.noiseVariance,
      timeGrid: resolved.timeGrid, record: resolved.record, backend,
      lob: { location, scale, initialBid: bidTicks, initialAsk: askTicks },
      strategy,
    },
  };
}

/** The config with every default filled in (throws the error runBacktest would). */
export function resolveBacktestConfig(config: BacktestConfig): ResolvedBacktestConfig {
  return prepare(config).resolved;
}
