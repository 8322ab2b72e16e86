// The vector exact simulators (eight AVX-512 lanes, four AVX2 lanes) against the scalar one
// ($HAWKGRAPH_CPU_KERNELS picks: "portable" forces the scalar driver, "avx2" the four-lane one,
// "avx512" the eight-lane one): the same Philox draws in the same order, so every path must come
// out event for event the same, up to the last bits of exp/log (a flipped comparison may make a
// rare path differ). Covers one and several decay groups, D up to 64, the LOB marks,
// intensities, maxEvents and paths that do not fill the lanes. Each simulator the CPU lacks is
// skipped, saying so; all are skipped when $HAWKGRAPH_CPU_KERNELS already forces one.
import { afterEach, describe, expect, it } from 'vitest';

import { HawkesProcess, LobModel, runtime } from '../dist/index.js';

const features = runtime().cpu.features;
const forced = process.env.HAWKGRAPH_CPU_KERNELS;
const SIMULATORS = [
  { isa: 'avx512', lanes: 8, present: features.avx512f && features.avx512dq },
  { isa: 'avx2', lanes: 4, present: features.avx2 && features.fma },
];
for (const s of SIMULATORS) {
  if (!s.present) console.log(`skipping the ${s.isa} Hawkes equivalence tests: this CPU lacks it`);
  else if (forced !== undefined) console.log(`skipping the ${s.isa} Hawkes equivalence tests: HAWKGRAPH_CPU_KERNELS=${forced} already picks one`);
}

type Sim = {
  times: Float64Array; types: Int32Array; pathOffsets: Float64Array; truncated: Uint8Array;
  intensity?: Float64Array; bid?: Float64Array; ask?: Float64Array; jump?: Int32Array;
  stats: { events: number; countsMean: number[] };
};

function withKernels<T>(table: string, run: () => T): T {
  process.env.HAWKGRAPH_CPU_KERNELS = table;
  try {
    return run();
  } finally {
    delete process.env.HAWKGRAPH_CPU_KERNELS;
  }
}
const scalar = <T>(run: () => T): T => withKernels('portable', run);

// Last-bit differences in exp/log shift later times by a few ulps, and intensities (sums of
// exp(-beta (t - t_j))) by about beta times that.
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));

// Paths equal event by event: types, jumps and prices exactly, times and intensities to 1e-9.
function samePaths(a: Sim, b: Sim, paths: number): number {
  let same = 0;
  for (let p = 0; p < paths; p++) {
    const a0 = a.pathOffsets[p], a1 = a.pathOffsets[p + 1], b0 = b.pathOffsets[p], b1 = b.pathOffsets[p + 1];
    let ok = a1 - a0 === b1 - b0 && a.truncated[p] === b.truncated[p];
    for (let i = 0; ok && i < a1 - a0; i++) {
      ok = a.types[a0 + i] === b.types[b0 + i] && close(a.times[a0 + i], b.times[b0 + i]);
      if (ok && a.intensity) ok = close(a.intensity[a0 + i], b.intensity![b0 + i]);
      if (ok && a.jump) ok = a.jump[a0 + i] === b.jump![b0 + i] && a.bid![a0 + i] === b.bid![b0 + i] && a.ask![a0 + i] === b.ask![b0 + i];
    }
    if (ok) same++;
  }
  return same;
}

const CASES = [
  { name: 'D=1', mu: [0.7], alpha: [[3]], beta: [[5]] },
  { name: 'D=2, two decay groups', mu: [0.5, 0.3], alpha: [[0.6, 1.2], [0.1, 1.2]], beta: [[2, 2], [3, 3]] },
  {
    name: 'D=5, two groups of mixed sizes, a type that excites nothing',
    mu: [0.3, 0.2, 0.4, 0.1, 0.25],
    alpha: [[0.5, 0.3, 0, 0.1, 0.2], [0.2, 0.6, 0, 0.3, 0.1], [1.0, 0.5, 0, 0.5, 0.4], [0.5, 1.0, 0, 2.0, 0.3], [0.2, 0.2, 0, 0.2, 0.9]],
    beta: [[2, 2, 2, 2, 2], [2, 2, 2, 2, 2], [6, 6, 6, 6, 6], [6, 6, 6, 6, 6], [2, 2, 2, 2, 2]],
  },
  {
    name: 'D=8, one beta',
    mu: Array(8).fill(0.4),
    alpha: Array.from({ length: 8 }, (_, k) => Array.from({ length: 8 }, (_, l) => (k === l ? 3.5 : 0.5))),
    beta: Array.from({ length: 8 }, () => Array(8).fill(10)),
  },
  {
    name: 'D=8, a beta per dimension',
    mu: Array.from({ length: 8 }, (_, k) => 0.2 + 0.05 * k),
    alpha: Array.from({ length: 8 }, (_, k) => Array.from({ length: 8 }, (_, l) => (k === l ? 2 : 0.3) * (1 + 0.2 * k))),
    beta: Array.from({ length: 8 }, (_, k) => Array(8).fill(5 * (1 + 0.2 * k))),
  },
];

describe.each(SIMULATORS)('the $isa exact simulator ($lanes lanes) equals the scalar one', ({ isa, present }) => {
  const vectorOf = <T>(run: () => T): T => withKernels(isa, run);
  if (!present || forced !== undefined) {
    it.skip(`needs ${isa} and no HAWKGRAPH_CPU_KERNELS`, () => {});
    return;
  }

  afterEach(() => expect(process.env.HAWKGRAPH_CPU_KERNELS).toBeUndefined());

  it.each(CASES)('$name: paths event by event, with intensities, for 1..20 paths', (c) => {
    const hp = new HawkesProcess({ mu: c.mu, alpha: c.alpha, beta: c.beta });
    for (const paths of [1, 3, 8, 20]) {
      const options = { endTime: 200, seed: 77, paths, intensity: true };
      const vector = vectorOf(() => hp.simulate(options) as Sim);
      const reference = scalar(() => hp.simulate(options) as Sim);
      expect(vector.times.length).toBeGreaterThan(50 * paths);
      // At most one path in twenty may differ, by a flipped last-bit comparison.
      expect(samePaths(vector, reference, paths)).toBeGreaterThanOrEqual(Math.ceil(0.95 * paths));
      expect(Math.abs(vector.stats.events - reference.stats.events)).toBeLessThanOrEqual(0.01 * reference.stats.events);
    }
  });

  it.each([12, 33, 64])('D=%i (tables read by gathers): paths event by event', (D) => {
    // A beta per dimension in four groups; each type excites itself and its two neighbours.
    const beta = Array.from({ length: D }, (_, k) => Array(D).fill(4 + 2 * (k % 4)));
    const alpha = Array.from({ length: D }, (_, k) =>
      Array.from({ length: D }, (_, l) => (k === l ? 0.4 : Math.abs(k - l) === 1 ? 0.15 : 0) * beta[k][0]));
    const hp = new HawkesProcess({ mu: Array.from({ length: D }, (_, k) => 0.1 + 0.01 * k), alpha, beta });
    // A few hundred events a path: over longer paths a last-bit difference can grow (an arrival's
    // sensitivity to the mass it is drawn from is unbounded near the threshold where it fires at
    // all) until times part by more than 1e-9 or a type flips.
    const options = { endTime: 300 / D, seed: 8, paths: 40, intensity: true };
    const vector = vectorOf(() => hp.simulate(options) as Sim);
    const reference = scalar(() => hp.simulate(options) as Sim);
    expect(vector.times.length).toBeGreaterThan(40 * 100);
    expect(samePaths(vector, reference, 40)).toBeGreaterThanOrEqual(38);
  });

  it('the LOB model: events, jumps and prices, many paths, with maxEvents cutting some', () => {
    const mu = [0.3, 0.3, 0.5, 0.5, 0.4, 0.4, 0.8, 0.8];
    const alpha = Array.from({ length: 8 }, (_, k) => Array.from({ length: 8 }, (_, l) => (k === l ? 2.5 : 0.8) * (1 + 0.05 * ((k + 2 * l) % 3))));
    const model = new LobModel({
      hawkes: new HawkesProcess({ mu, alpha, beta: 10 }),
      jumps: { location: [1, 1, 0.5, 0.5, 1, 1, 1, 1], scale: [2, 2, 1.5, 1.5, 0.5, 0.5, 1, 1] },
      tick: 0.05,
      initialBid: 100,
      initialAsk: 100.2,
    });
    const options = { endTime: 60, seed: 5, paths: 203, maxEvents: 1500 };
    const vector = vectorOf(() => model.simulate(options) as Sim);
    const reference = scalar(() => model.simulate(options) as Sim);
    expect(vector.truncated.some((t) => t === 1)).toBe(true);
    expect(vector.truncated.some((t) => t === 0)).toBe(true);
    expect(samePaths(vector, reference, 203)).toBeGreaterThanOrEqual(200);
  });

  it('statistics only: the same sums as the scalar driver', () => {
    const c = CASES[4];
    const hp = new HawkesProcess({ mu: c.mu, alpha: c.alpha, beta: c.beta });
    const options = { endTime: 50, seed: 3, paths: 500, statsOnly: true, threads: 2 };
    const vector = vectorOf(() => hp.simulate(options) as Sim);
    const reference = scalar(() => hp.simulate(options) as Sim);
    expect(Math.abs(vector.stats.events - reference.stats.events)).toBeLessThanOrEqual(0.001 * reference.stats.events);
    for (let k = 0; k < 8; k++) expect(vector.stats.countsMean[k]).toBeCloseTo(reference.stats.countsMean[k], 0);
  });
});
