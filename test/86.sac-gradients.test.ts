// SAC's native math against independent computations: the MLP's backward pass, the critic and
// actor losses' gradients by central finite differences (float32 networks: h = 1e-3, tolerance
// 2e-3 + 2 % of the value; the MLP alone against a float64 reference), and Adam against the update written out by hand in float64.
import { describe, expect, it } from 'vitest';

import { sacHooks } from '../dist/internal.js';
import { mulberry32 } from './helpers/reference-model';

const H = 1e-3;
const close = (fd: number, analytic: number) => Math.abs(fd - analytic) <= 2e-3 + 0.02 * Math.abs(analytic);

function randomArray(n: number, r: () => number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (2 * r() - 1) * scale);
}

function paramCount(widths: number[]): number {
  let n = 0;
  for (let l = 0; l + 1 < widths.length; l++) n += widths[l] * widths[l + 1] + widths[l + 1];
  return n;
}

// Central difference of f at coordinate i of x (x restored afterwards).
function centralDifference(x: Float32Array, i: number, f: () => number): number {
  const saved = x[i];
  x[i] = saved + H;
  const up = f();
  x[i] = saved - H;
  const down = f();
  x[i] = saved;
  return (up - down) / (Math.fround(saved + H) - Math.fround(saved - H));
}

function expectGradient(x: Float32Array, analytic: Float32Array, f: () => number, coordinates: number[]): void {
  const bad: string[] = [];
  for (const i of coordinates) {
    const fd = centralDifference(x, i, f);
    if (!close(fd, analytic[i])) bad.push(`#${i}: finite difference ${fd}, analytic ${analytic[i]}`);
  }
  expect(bad).toEqual([]);
}

// The network in float64, written out plainly: the reference the native float32 passes are held to.
function referenceForward(widths: number[], params: ArrayLike<number>, input: ArrayLike<number>, rows: number): number[][] {
  let a: number[][] = Array.from({ length: rows }, (_, b) => Array.from({ length: widths[0] }, (_, k) => input[b * widths[0] + k]));
  let off = 0;
  for (let l = 0; l + 1 < widths.length; l++) {
    const K = widths[l], N = widths[l + 1], hidden = l + 2 < widths.length;
    a = a.map((x) => Array.from({ length: N }, (_, j) => {
      let s = params[off + K * N + j];
      for (let k = 0; k < K; k++) s += x[k] * params[off + k * N + j];
      return hidden ? Math.max(0, s) : s;
    }));
    off += K * N + N;
  }
  return a;
}

describe('the MLP backward pass', () => {
  // Widths that take both the 64-column register blocks and the scalar tail, and rows that are
  // not a multiple of the 4-row block. The finite differences run on the float64 reference with
  // h = 1e-6, too small a step to cross a ReLU kink at these scales.
  it.each([[[5, 64, 64, 3]], [[3, 7, 2]], [[4, 128, 70, 1]]])('matches the float64 reference and its finite differences for widths %j', (widths) => {
    const r = mulberry32(11);
    const rows = 6;
    const params = randomArray(paramCount(widths), r, 0.5);
    const input = randomArray(rows * widths[0], r);
    const dOut = randomArray(rows * widths.at(-1)!, r);
    const out = widths.at(-1)!;
    const native = sacHooks.mlpForward(widths, params, input);
    const ref = referenceForward(widths, params, input, rows);
    for (let b = 0; b < rows; b++) for (let j = 0; j < out; j++) expect(Math.abs(native[b * out + j] - ref[b][j])).toBeLessThan(1e-5 * (1 + Math.abs(ref[b][j])));
    const loss = (p: ArrayLike<number>, x: ArrayLike<number>) => referenceForward(widths, p, x, rows).flat().reduce((s, v, i) => s + v * dOut[i], 0);
    const { grad, dInput } = sacHooks.mlpBackward(widths, params, input, dOut);
    const h = 1e-6;
    const check = (x: Float32Array, analytic: Float32Array, at: (q: Float64Array) => number) => {
      const bad: string[] = [];
      const every = Math.max(1, Math.floor(x.length / 400));
      for (let i = 0; i < x.length; i += every) {
        const q = Float64Array.from(x);
        q[i] += h;
        const up = at(q);
        q[i] -= 2 * h;
        const fd = (up - at(q)) / (2 * h);
        if (Math.abs(fd - analytic[i]) > 1e-4 + 1e-3 * Math.abs(fd)) bad.push(`#${i}: finite difference ${fd}, analytic ${analytic[i]}`);
      }
      expect(bad).toEqual([]);
    };
    check(params, grad, (q) => loss(q, input));
    check(input, dInput, (q) => loss(params, q));
  });

  it('forward: a hidden unit is max(0, x w + b) and the last layer is linear', () => {
    const widths = [2, 1, 1];
    // layer 0: w [2][1] = (1, -2), b = 0.5; layer 1: w = 3, b = -1
    const params = Float32Array.of(1, -2, 0.5, 3, -1);
    const y = sacHooks.mlpForward(widths, params, Float32Array.of(1, 1, 2, -1));
    expect(Array.from(y)).toEqual([3 * 0 - 1, 3 * 4.5 - 1]);
  });
});

describe('Adam', () => {
  it('takes the steps PyTorch takes (bias-corrected moments, eps outside the square root)', () => {
    const p0 = [0.5, -1, 2];
    const grads = [[0.1, -0.2, 3], [0.05, 0.4, -1], [-0.3, 0, 0.2]];
    const lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const got = sacHooks.adamSteps(Float32Array.from(p0), Float32Array.from(grads.flat()), lr, b1, b2, eps);
    const m = [0, 0, 0], v = [0, 0, 0], p = [...p0];
    grads.forEach((g, t) => {
      for (let i = 0; i < 3; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        const mHat = m[i] / (1 - b1 ** (t + 1)), vHat = v[i] / (1 - b2 ** (t + 1));
        p[i] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
      }
    });
    for (let i = 0; i < 3; i++) expect(got[i]).toBeCloseTo(p[i], 6);
  });
});

describe('the SAC losses', () => {
  const obsSize = 3, actionSize = 2, hidden = [8, 8], rows = 5;
  const r = mulberry32(5);
  const actorWidths = [obsSize, ...hidden, 2 * actionSize];
  const criticWidths = [obsSize + actionSize, ...hidden, 1];
  const args = {
    obsSize, actionSize, hidden: Float64Array.from(hidden), gamma: 0.9, logAlpha: Math.log(0.3),
    actor: randomArray(paramCount(actorWidths), r, 0.6),
    critic0: randomArray(paramCount(criticWidths), r, 0.6),
    critic1: randomArray(paramCount(criticWidths), r, 0.6),
    target0: randomArray(paramCount(criticWidths), r, 0.6),
    target1: randomArray(paramCount(criticWidths), r, 0.6),
    obs: randomArray(rows * obsSize, r),
    action: randomArray(rows * actionSize, r, 0.9),
    reward: randomArray(rows, r),
    nextObs: randomArray(rows * obsSize, r),
    done: Float32Array.of(0, 1, 0, 0, 1),
    eps: randomArray(rows * actionSize, r),
    epsNext: randomArray(rows * actionSize, r),
  };
  const all = (n: number) => Array.from({ length: n }, (_, i) => i);

  it('critic loss 0.5 sum_k mean (Q_k - y)^2: its gradient in each critic matches finite differences', () => {
    const g = sacHooks.lossGradients(args);
    const f = () => sacHooks.lossGradients(args).criticLoss;
    expectGradient(args.critic0, g.criticGrad0, f, all(args.critic0.length));
    expectGradient(args.critic1, g.criticGrad1, f, all(args.critic1.length));
  });

  it('actor loss mean(alpha log pi - min_k Q_k) through the squashed Gaussian: its gradient matches finite differences', () => {
    const g = sacHooks.lossGradients(args);
    const f = () => sacHooks.lossGradients(args).actorLoss;
    expectGradient(args.actor, g.actorGrad, f, all(args.actor.length));
  });

  it('the critic targets do not depend on the critics, nor the actor loss on the targets', () => {
    const base = sacHooks.lossGradients(args);
    const moved = { ...args, target0: args.target0.map((x) => x + 0.1) };
    expect(sacHooks.lossGradients(moved).actorLoss).toBe(base.actorLoss);
    expect(sacHooks.lossGradients(moved).criticLoss).not.toBe(base.criticLoss);
  });
});
