/**
 * The seed paper's experiment on the package's own model and strategies (issue 15): DRL (native
 * SAC, trainPolicy), the best inventory-linear strategy by a grid search on Sharpe (LIN), SYM, at
 * the paper's setting; the metrics table with the baseline-noise study; Sharpe against the maker
 * fee (taker fixed at 0.2 %, as the paper sweeps it); and the trades of DRL retrained per fee.
 * Training and evaluation use different seeds.
 */
import { runBacktestAsync, runStudyAsync } from '../backtest';
import type { BacktestConfig, BacktestResult, StudyResult } from '../backtest/types';
import { describe } from '../errors';
import { checkKeys, integerOption, numberOption, optionError } from '../options';
import { trainPolicy } from '../train';
import { PAPER_FEES } from './reference';

export interface PaperOptions {
  /** SAC environment steps per training. Default 1e5 (the paper: 1e6; BENCHMARKS.md has the speed). */
  steps?: number;
  /** Evaluation paths per run. Default 1000 (the paper's test episodes). */
  paths?: number;
  /** Evaluation seed (training uses seed + 1, the LIN search seed + 2). Default 1. */
  seed?: number;
  /** 'exact' (default) or 'published' (the authors' loop, bug included: the paper's own numbers). */
  eventLoop?: 'exact' | 'published';
  threads?: number;
  /** Ticks of offset per unit of the agent's action. Default 10 (learns in 1e5 steps; the paper's is 100). */
  actionScale?: number;
  /** Base spreads and inventory skews (ticks) of the LIN grid. Default 0..8 and 0, 0.5, 1, 2, 4. */
  linSpreads?: number[];
  linSkews?: number[];
  /** Stages as they finish, for a progress bar. */
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface PaperResult {
  study: StudyResult;
  lin: { bid: [number, number]; ask: [number, number]; sharpe: number; grid: { spread: number; skew: number; sharpe: number }[] };
  /** Sharpe of SYM, LIN and DRL at each maker fee of PAPER_FEES. */
  sharpeByFee: Record<'SYM' | 'LIN' | 'DRL', number[]>;
  /** The DRL agent retrained at each maker fee: its mean trades and Sharpe there. */
  drlRetrained: { trades: number[]; sharpe: number[] };
  policy: Uint8Array;
  settings: Required<Omit<PaperOptions, 'onProgress' | 'threads'>> & { threads?: number };
  seconds: number;
}

const KEYS = new Set(['steps', 'paths', 'seed', 'eventLoop', 'threads', 'actionScale', 'linSpreads', 'linSkews', 'onProgress']);

function grid(v: unknown, field: string, def: number[]): number[] {
  if (v === undefined) return def;
  if (!Array.isArray(v) || v.length === 0) optionError(`${field} must be a non-empty array of ticks, got ${describe(v)}`);
  return v.map((x, i) => numberOption(x, `${field}[${i}]`, NaN, (y) => y >= 0, 'a number of ticks >= 0'));
}

export async function runPaper(options: PaperOptions = {}): Promise<PaperResult> {
  if (options === null || typeof options !== 'object') optionError(`paper options must be an object, got ${describe(options)}`);
  checkKeys(options, KEYS, 'paper option');
  const settings = {
    steps: integerOption(options.steps, 'steps', 100_000, 1, 1e9),
    paths: integerOption(options.paths, 'paths', 1000, 2, 1e7),
    seed: integerOption(options.seed, 'seed', 1, 0, 2 ** 40),
    eventLoop: options.eventLoop ?? 'exact',
    actionScale: numberOption(options.actionScale, 'actionScale', 10, (x) => x > 0, 'a number of ticks > 0'),
    linSpreads: grid(options.linSpreads, 'linSpreads', [0, 1, 2, 3, 4, 5, 6, 8]),
    linSkews: grid(options.linSkews, 'linSkews', [0, 0.5, 1, 2, 4]),
    threads: options.threads,
  };
  if (settings.eventLoop !== 'exact' && settings.eventLoop !== 'published') optionError(`eventLoop must be 'exact' or 'published', got ${describe(settings.eventLoop)}`);
  const started = Date.now();
  const fees = PAPER_FEES.length;
  const total = 1 + settings.linSpreads.length * settings.linSkews.length + 1 + 3 * fees + (fees - 1);
  let done = 0;
  const step = (stage: string) => options.onProgress?.(stage, ++done, total);
  // The paper's setting is the default config; only the loop, paths and seeds vary here.
  const market: Omit<BacktestConfig, 'strategy'> = { eventLoop: settings.eventLoop, paths: settings.paths, seed: settings.seed, ...(settings.threads ? { threads: settings.threads } : {}) };
  const train = async (makerFee: number) => {
    const r = await trainPolicy({ ...market, seed: settings.seed + 1, fees: { maker: makerFee, taker: 0.002 } }, {
      steps: settings.steps, seed: settings.seed, actionScale: settings.actionScale, ...(settings.threads ? { threads: Math.min(2, settings.threads) } : {}),
    });
    return r.policy;
  };

  const policy = await train(0);
  step('DRL trained (maker fee 0)');
  // LIN: offsets spread + skew * I on the bid and spread - skew * I on the ask (ticks from the mid), on a search seed.
  const linGrid: PaperResult['lin']['grid'] = [];
  for (const spread of settings.linSpreads) {
    for (const skew of settings.linSkews) {
      const r = await runBacktestAsync({ ...market, seed: settings.seed + 2, strategy: { lin: { bid: [spread, skew], ask: [spread, -skew] } } });
      linGrid.push({ spread, skew, sharpe: r.metrics.sharpe });
      step(`LIN grid ${spread}/${skew}`);
    }
  }
  const best = linGrid.reduce((a, b) => (b.sharpe > a.sharpe ? b : a));
  const lin = { bid: [best.spread, best.skew] as [number, number], ask: [best.spread, -best.skew] as [number, number] };
  const strategies = { SYM: 'sym' as const, LIN: { lin }, DRL: { policy } };
  const study = await runStudyAsync({ ...market, strategies, noise: [0.1, 0.2, 0.3], feeSweep: [] });
  step('SYM, LIN and DRL with baseline noise');
  const sharpeByFee: PaperResult['sharpeByFee'] = { SYM: [], LIN: [], DRL: [] };
  const byFee: Record<string, BacktestResult[]> = { SYM: [], LIN: [], DRL: [] };
  for (const fee of PAPER_FEES) {
    for (const [name, strategy] of Object.entries(strategies)) {
      const r = await runBacktestAsync({ ...market, fees: { maker: fee, taker: 0.002 }, strategy });
      sharpeByFee[name as keyof typeof sharpeByFee].push(r.metrics.sharpe);
      byFee[name].push(r);
      step(`${name} at maker fee ${fee * 100} %`);
    }
  }
  const drlRetrained = { trades: [] as number[], sharpe: [] as number[] };
  for (const [k, fee] of PAPER_FEES.entries()) {
    const p = k === 0 ? policy : await train(fee);
    const r = k === 0 ? byFee.DRL[0] : await runBacktestAsync({ ...market, fees: { maker: fee, taker: 0.002 }, strategy: { policy: p } });
    drlRetrained.trades.push(r.metrics.meanTrades);
    drlRetrained.sharpe.push(r.metrics.sharpe);
    if (k > 0) step(`DRL retrained at maker fee ${fee * 100} %`);
  }
  // The report's fee figure reads the study's fee results: the maker sweep above.
  study.fees = byFee;
  study.feeSweep = [...PAPER_FEES];
  return { study, lin: { ...lin, sharpe: best.sharpe, grid: linGrid }, sharpeByFee, drlRetrained, policy, settings, seconds: (Date.now() - started) / 1000 };
}
