/**
 * The seed paper's experiment on the package's own model and strategies (issue 15): DRL (native
 * SAC, trainPolicy), the best inventory-linear strategy by a grid search on Sharpe (LIN, offsets
 * from the mid and from the best prices), SYM, at the paper's setting; the metrics table with the
 * baseline-noise study; Sharpe against the maker fee (taker fixed at 0.2 %, as the paper sweeps
 * it), DRL's from the agent retrained at each fee as the paper's (and the fee-0 agent's beside
 * it); and the trades of DRL retrained per fee. Training and evaluation use different seeds.
 */
import { runBacktestAsync, runStudyAsync } from '../backtest';
import type { BacktestConfig, BacktestResult, StudyResult } from '../backtest/types';
import { describe } from '../errors';
import { checkKeys, defaultThreads, integerOption, numberOption, optionError } from '../options';
import { LIMITS } from '../native/layouts';
import { trainPolicy } from '../train';
import { PAPER_FEES } from './reference';

/** The name of the retrained agents' line in the study's fee results. */
export const DRL_RETRAINED = 'DRL retrained per fee';

export interface PaperOptions {
  /** SAC environment steps per training. Default 1e5 (the paper: 1e6; BENCHMARKS.md has the speed). */
  steps?: number;
  /** Evaluation paths per run. Default 1000 (the paper's test episodes). */
  paths?: number;
  /** Evaluation seed (training uses seed + 1, the LIN search seed + 2). Default 1. */
  seed?: number;
  /** 'exact' (default) or 'published' (the authors' loop, bug included: the paper's own numbers). */
  eventLoop?: 'exact' | 'published';
  /**
   * Native threads: the trainings run side by side on them (up to 4 at once, 2 threads each from 8), the
   * backtests on all of them. Default one per core. Results do not depend on it.
   */
  threads?: number;
  /**
   * Ticks of offset per unit of the agent's action. Default 100: the paper's range of +-1 in price, wide enough
   * for the agent retrained at a high maker fee to quote past the fee's break-even distance (docs/paper.md).
   */
  actionScale?: number;
  /**
   * Base spreads and inventory skews (ticks) of the LIN grid. Default 0, 1, 2, 3, 4, 6, 8, 12, 16, 20, 30, 40, 60
   * and 0, 1, 2, 4, 6, 8, 12, 16 (on the exact loop the best is 40 + 12 I from the mid: inside the grid, not on its edge).
   */
  linSpreads?: number[];
  linSkews?: number[];
  /** Where the LIN grid's offsets are measured from: each family is searched. Default both ('mid', 'best'). */
  linFrom?: ('mid' | 'best')[];
  /** Stages as they finish, for a progress bar. */
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface PaperResult {
  study: StudyResult;
  lin: { bid: [number, number]; ask: [number, number]; from: 'mid' | 'best'; sharpe: number; grid: { from: 'mid' | 'best'; spread: number; skew: number; sharpe: number }[] };
  /**
   * Sharpe at each maker fee of PAPER_FEES: SYM and LIN as they are; DRL the agent retrained at
   * that fee (the paper's figure); DRL0 the fee-0 agent run at each fee.
   */
  sharpeByFee: Record<'SYM' | 'LIN' | 'DRL' | 'DRL0', number[]>;
  /** The DRL agent retrained at each maker fee: its mean trades and Sharpe there. */
  drlRetrained: { trades: number[]; sharpe: number[] };
  policy: Uint8Array;
  settings: Required<Omit<PaperOptions, 'onProgress'>>;
  seconds: number;
}

const KEYS = new Set(['steps', 'paths', 'seed', 'eventLoop', 'threads', 'actionScale', 'linSpreads', 'linSkews', 'linFrom', 'onProgress']);

function grid(v: unknown, field: string, def: number[]): number[] {
  if (v === undefined) return def;
  if (!Array.isArray(v) || v.length === 0) optionError(`${field} must be a non-empty array of ticks, got ${describe(v)}`);
  return v.map((x, i) => numberOption(x, `${field}[${i}]`, NaN, (y) => y >= 0, 'a number of ticks >= 0'));
}

export async function runPaper(options: PaperOptions = {}): Promise<PaperResult> {
  if (options === null || typeof options !== 'object') optionError(`paper options must be an object, got ${describe(options)}`);
  checkKeys(options, KEYS, 'paper option');
  const settings = {
    steps: integerOption(options.steps, 'steps', 100_000, 1, LIMITS.maxSacSteps),
    paths: integerOption(options.paths, 'paths', 1000, 2, 1e7),
    seed: integerOption(options.seed, 'seed', 1, 0, 2 ** 40),
    eventLoop: options.eventLoop ?? 'exact',
    actionScale: numberOption(options.actionScale, 'actionScale', 100, (x) => x > 0, 'a number of ticks > 0'),
    linSpreads: grid(options.linSpreads, 'linSpreads', [0, 1, 2, 3, 4, 6, 8, 12, 16, 20, 30, 40, 60]),
    linSkews: grid(options.linSkews, 'linSkews', [0, 1, 2, 4, 6, 8, 12, 16]),
    linFrom: options.linFrom ?? (['mid', 'best'] as ('mid' | 'best')[]),
    threads: integerOption(options.threads, 'threads', defaultThreads(Number.MAX_SAFE_INTEGER), 1, LIMITS.maxSimulationThreads),
  };
  if (!Array.isArray(settings.linFrom) || settings.linFrom.length === 0 || settings.linFrom.some((f) => f !== 'mid' && f !== 'best')) {
    optionError(`linFrom must be a non-empty array of 'mid' and 'best', got ${describe(settings.linFrom)}`);
  }
  if (settings.eventLoop !== 'exact' && settings.eventLoop !== 'published') optionError(`eventLoop must be 'exact' or 'published', got ${describe(settings.eventLoop)}`);
  const started = Date.now();
  const fees = PAPER_FEES.length;
  // Stages: the trainings, the LIN grid, the study, the retrained agents' evaluations.
  const total = fees + settings.linFrom.length * settings.linSpreads.length * settings.linSkews.length + 1 + (fees - 1);
  let done = 0;
  const step = (stage: string) => options.onProgress?.(stage, ++done, total);
  // The paper's setting is the default config; only the loop, paths and seeds vary here.
  const market: Omit<BacktestConfig, 'strategy'> = { eventLoop: settings.eventLoop, paths: settings.paths, seed: settings.seed, threads: Math.min(settings.threads, settings.paths) };
  // The four trainings are independent (each keyed by its own seeds, so the policies are the same
  // bytes in any order): up to `threads` run at once, beside the LIN search. Each holds a libuv pool
  // thread for its whole run, so at most PAPER_FEES.length (the pool's default size is 4).
  const slots = Math.min(settings.threads, fees);
  const perTraining = Math.min(2, Math.floor(settings.threads / slots));
  const queue = limiter(slots);
  const stop = new AbortController();
  const train = (makerFee: number) => queue(async () => {
    const r = await trainPolicy({ ...market, seed: settings.seed + 1, fees: { maker: makerFee, taker: 0.002 } }, {
      steps: settings.steps, seed: settings.seed, actionScale: settings.actionScale, threads: perTraining, signal: stop.signal,
    });
    step(`DRL trained (maker fee ${makerFee * 100} %)`);
    return r.policy;
  });
  const policies = PAPER_FEES.map((fee) => train(fee));
  // Handled here so that a training that fails while another is awaited rejects the run, not the
  // process; a failure anywhere stops the trainings still running.
  for (const p of policies) p.catch(() => undefined);
  try {
    return await evaluate(settings, market, policies, step, started);
  } catch (error) {
    stop.abort(error);
    throw error;
  }
}

/** LIN's search, then SYM, LIN and DRL evaluated as the trained policies arrive. */
async function evaluate(
  settings: PaperResult['settings'], market: Omit<BacktestConfig, 'strategy'>, policies: Promise<Uint8Array>[], step: (stage: string) => void, started: number,
): Promise<PaperResult> {
  const lin = await searchLin(settings, market, step);
  const policy = await policies[0];
  const strategies = { SYM: 'sym' as const, LIN: { lin: { bid: lin.bid, ask: lin.ask, from: lin.from } }, DRL: { policy } };
  // The maker-fee sweep reprices each strategy's base run (their quotes do not depend on fees).
  const study = await runStudyAsync({ ...market, strategies, noise: [0.1, 0.2, 0.3], feeSweep: [...PAPER_FEES] });
  step('SYM, LIN and DRL with baseline noise and the maker-fee sweep');
  const sharpes = (name: string) => study.fees[name].map((r) => r.metrics.sharpe);
  const retrained: BacktestResult[] = [study.base.DRL];
  for (const [k, fee] of PAPER_FEES.entries()) {
    if (k === 0) continue;
    retrained.push(await runBacktestAsync({ ...market, fees: { maker: fee, taker: 0.002 }, strategy: { policy: await policies[k] } }));
    step(`DRL retrained at maker fee ${fee * 100} %: evaluated`);
  }
  const drlRetrained = { trades: retrained.map((r) => r.metrics.meanTrades), sharpe: retrained.map((r) => r.metrics.sharpe) };
  // The report's fee figure draws every entry of study.fees: the retrained agents beside the rest.
  study.fees[DRL_RETRAINED] = retrained;
  const sharpeByFee: PaperResult['sharpeByFee'] = { SYM: sharpes('SYM'), LIN: sharpes('LIN'), DRL: drlRetrained.sharpe, DRL0: sharpes('DRL') };
  return { study, lin, sharpeByFee, drlRetrained, policy, settings, seconds: (Date.now() - started) / 1000 };
}

/**
 * LIN: offsets spread + skew * I on the bid and spread - skew * I on the ask, in ticks from the mid
 * or from the best prices, on a search seed; the best by Sharpe.
 */
async function searchLin(settings: PaperResult['settings'], market: Omit<BacktestConfig, 'strategy'>, step: (stage: string) => void): Promise<PaperResult['lin']> {
  const grid: PaperResult['lin']['grid'] = [];
  for (const from of settings.linFrom) {
    for (const spread of settings.linSpreads) {
      for (const skew of settings.linSkews) {
        const r = await runBacktestAsync({ ...market, seed: settings.seed + 2, strategy: { lin: { bid: [spread, skew], ask: [spread, -skew], from } } });
        grid.push({ from, spread, skew, sharpe: r.metrics.sharpe });
        step(`LIN grid ${from} ${spread}/${skew}`);
      }
    }
  }
  const best = grid.reduce((a, b) => (b.sharpe > a.sharpe ? b : a));
  return { bid: [best.spread, best.skew], ask: [best.spread, -best.skew], from: best.from, sharpe: best.sharpe, grid };
}

/** Runs the jobs given to it at most `slots` at a time, in the order given. */
function limiter(slots: number): <T>(job: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (job) => {
    if (running >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await job();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
