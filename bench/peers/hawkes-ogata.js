// Peer for bench/suites/hawkes.js: a straightforward Ogata thinning simulator written the way a
// TypeScript user would (typed arrays for the state, Math.exp / Math.log, a small seeded PRNG),
// one beta per excited dimension. No hawkgraph code is used.
'use strict';

const { makeRandom } = require('../shared');

/**
 * @param {{ mu: number[], alpha: number[][], beta: number[] }} p  beta[k]: decay of row k
 * @param {number} endTime
 * @param {number} seed
 * @returns {{ times: number[], types: number[] }}
 */
function simulateOgata(p, endTime, seed) {
  const D = p.mu.length;
  const random = makeRandom(seed);
  const y = new Float64Array(D);
  const times = [];
  const types = [];
  let t = 0;
  let muTotal = 0;
  for (let k = 0; k < D; k++) muTotal += p.mu[k];
  for (;;) {
    let bound = muTotal;
    for (let k = 0; k < D; k++) bound += y[k];
    const cand = t - Math.log(random()) / bound;
    if (cand > endTime) break;
    let lam = muTotal;
    for (let k = 0; k < D; k++) {
      y[k] *= Math.exp(-p.beta[k] * (cand - t));
      lam += y[k];
    }
    t = cand;
    const x = random() * bound;
    if (x >= lam) continue;
    let acc = 0;
    let type = D - 1;
    for (let k = 0; k < D; k++) {
      acc += p.mu[k] + y[k];
      if (x < acc) {
        type = k;
        break;
      }
    }
    times.push(t);
    types.push(type);
    for (let k = 0; k < D; k++) y[k] += p.alpha[k][type];
  }
  return { times, types };
}

module.exports = { simulateOgata };
