// Backtest metrics against an independent computation on fixed arrays: values from numpy/scipy
// defaults (np.std ddof 0, np.percentile linear, scipy.stats.skew / kurtosis biased, excess
// kurtosis, scipy.stats.jarque_bera) computed once and written here, plus the GLFT helper
// against its closed form.
import { describe, expect, it } from 'vitest';

import { computeMetrics, glftOffsets, HawkgraphError } from '../dist/index.js';

// python3: numpy 2 / scipy 1.17 on the arrays below.
const cases = {
  skewed: {
    data: [3.5, -1.25, 0.0, 7.75, 2.0, -4.5, 12.0, 1.0, 0.5, -0.75, 3.25, 9.0],
    want: { mean: 2.7083333333333335, std: 4.541284387581214, p1: -4.1425, p5: -2.7125, p50: 1.5, p95: 10.35, p99: 11.670000000000002, skew: 0.5927309850783598, kurt: -0.4838413142776381, jb: 0.8197112500448817, jbp: 0.6637460715432303 },
  },
  symmetric: {
    data: [-3, -2, -1, 0, 1, 2, 3],
    want: { mean: 0, std: 2, p1: -2.94, p5: -2.7, p50: 0, p95: 2.7, p99: 2.94, skew: 0, kurt: -1.25, jb: 0.4557291666666667, jbp: 0.796232075628836 },
  },
  heavy: {
    data: [0.1, 0.2, -0.1, 0.0, 0.05, 25.0, -0.2, 0.15, -30.0, 0.3, 0.0, -0.05, 0.12, 0.08],
    want: { mean: -0.3107142857142858, std: 10.43307478597733, p1: -26.126, p5: -10.63, p50: 0.065, p95: 8.945, p99: 21.789, skew: -0.6260882836827557, kurt: 4.15828523644182, jb: 11.001247987023747, jbp: 0.004084222115065304 },
  },
};

describe('computeMetrics', () => {
  for (const [name, { data, want }] of Object.entries(cases)) {
    it(`${name}: matches numpy / scipy defaults`, () => {
      const map = data.map((_, i) => (i % 3) + 1);
      const trades = data.map((_, i) => 10 * i);
      const inventory = data.map((_, i) => (i % 4) - 1);
      const m = computeMetrics(Float64Array.from(data), map, trades, inventory);
      const close = (got: number, exp: number) => expect(Math.abs(got - exp)).toBeLessThan(1e-9 * Math.max(1, Math.abs(exp)));
      close(m.mean, want.mean);
      close(m.std, want.std);
      close(m.percentiles.p1, want.p1);
      close(m.percentiles.p5, want.p5);
      close(m.percentiles.p50, want.p50);
      close(m.percentiles.p95, want.p95);
      close(m.percentiles.p99, want.p99);
      close(m.skew, want.skew);
      close(m.kurtosis, want.kurt);
      close(m.jarqueBera.statistic, want.jb);
      close(m.jarqueBera.pValue, want.jbp);
      if (want.std > 0) close(m.sharpe, want.mean / want.std);
      const mapMean = map.reduce((a, b) => a + b, 0) / map.length;
      close(m.map, mapMean);
      close(m.meanPnlOverMap, want.mean / mapMean);
      close(m.meanTrades, trades.reduce((a, b) => a + b, 0) / trades.length);
      expect(m.paths).toBe(data.length);
      expect(m.inventoryDistribution.values).toEqual([-1, 0, 1, 2]);
      expect(m.inventoryDistribution.counts.reduce((a, b) => a + b, 0)).toBe(data.length);
    });
  }

  it('constant PnL: std 0, undefined shape statistics are NaN, not Infinity', () => {
    const m = computeMetrics([5, 5, 5, 5]);
    expect(m.std).toBe(0);
    expect(Number.isNaN(m.sharpe)).toBe(true);
    expect(Number.isNaN(m.skew)).toBe(true);
  });
});

describe('glftOffsets', () => {
  it('is the GLFT closed form as LIN parameters', () => {
    const A = 2, k = 0.5, sigma = 3, gamma = 0.01;
    const c1 = Math.log(1 + gamma / k) / gamma;
    const c2 = Math.sqrt((gamma / (2 * A * k)) * Math.pow(1 + gamma / k, k / gamma + 1));
    const lin = glftOffsets({ A, k, sigma, gamma });
    expect(lin.bid[0]).toBeCloseTo(c1 + 0.5 * sigma * c2, 12);
    expect(lin.ask[0]).toBeCloseTo(c1 + 0.5 * sigma * c2, 12);
    expect(lin.bid[1]).toBeCloseTo(sigma * c2, 12);
    expect(lin.ask[1]).toBeCloseTo(-sigma * c2, 12);
  });

  it('refuses bad parameters naming the field', () => {
    expect(() => glftOffsets({ A: 2, k: -1, sigma: 1, gamma: 0.1 })).toThrow(/^k must be/);
    try {
      glftOffsets({ A: 2, k: 1, sigma: 1, gamma: NaN });
    } catch (err) {
      expect(err).toBeInstanceOf(HawkgraphError);
      expect((err as HawkgraphError).code).toBe('ERR_INVALID_OPTION');
      expect((err as HawkgraphError).message).toMatch(/gamma/);
    }
  });
});
