// Peer for bench/suites/backtest.js: the same market-making procedure (docs/backtest.md) written
// the way a Node developer would: Ogata thinning for the 8-event Hawkes process (one beta per
// excited dimension), the LOB jumps, steps of dt with SYM or LIN quotes, the same fill rules and
// accounting, a small seeded PRNG, plain arrays and Math.log / Math.exp. No hawkgraph code.
'use strict';

const { makeRandom } = require('../shared');

const MAb = 0, MAs = 1, LAb = 2, LAs = 3, CAb = 4, CAs = 5, MNb = 6, MNs = 7;

/**
 * One path. p: { mu[8], alpha[8][8], beta[8] (per excited row), location[8], scale[8], tick,
 * initialBid, initialAsk (ticks), horizon, dt, c, z1, z2, z3, fee, strategy: 'sym' | { bid: [c0, c1], ask: [c0, c1] } }.
 */
function runPath(p, seed) {
  const random = makeRandom(seed);
  const y = new Float64Array(8);
  let muTotal = 0;
  for (let k = 0; k < 8; k++) muTotal += p.mu[k];
  let t = 0, bid = p.initialBid, ask = p.initialAsk;
  let inv = 0, cash = 0, trades = 0, events = 0, absInt = 0, lastChange = 0;
  const steps = Math.ceil(p.horizon / p.dt - 1e-9);
  for (let k = 0; k < steps; k++) {
    const t1 = k + 1 === steps ? p.horizon : (k + 1) * p.dt;
    let hasBid = inv < p.c, hasAsk = inv > -p.c, qb = bid, qa = ask;
    if (p.strategy !== 'sym') {
      const mid = 0.5 * (bid + ask);
      qb = Math.min(Math.floor(mid - (p.strategy.bid[0] + p.strategy.bid[1] * inv)), ask - 1);
      qa = Math.max(Math.ceil(mid + (p.strategy.ask[0] + p.strategy.ask[1] * inv)), bid + 1);
      if (qb >= qa) hasBid = hasAsk = false;
    }
    for (;;) {
      let bound = muTotal;
      for (let j = 0; j < 8; j++) bound += y[j];
      const cand = t - Math.log(random()) / bound;
      if (cand > t1) {
        // Memoryless: restart the candidate clock at the step end.
        for (let j = 0; j < 8; j++) y[j] *= Math.exp(-p.beta[j] * (t1 - t));
        t = t1;
        break;
      }
      let lam = muTotal;
      for (let j = 0; j < 8; j++) {
        y[j] *= Math.exp(-p.beta[j] * (cand - t));
        lam += y[j];
      }
      t = cand;
      const x = random() * bound;
      if (x >= lam) continue;
      let type = 7, acc = 0;
      for (let j = 0; j < 8; j++) {
        acc += p.mu[j] + y[j];
        if (x < acc) { type = j; break; }
      }
      for (let j = 0; j < 8; j++) y[j] += p.alpha[j][type];
      events++;
      const b0 = bid, a0 = ask;
      if (type < MNb) {
        let jump = Math.max(1, Math.round(p.location[type] - p.scale[type] * Math.log(random())));
        const room = ask - bid - 1;
        if (type === MAb) ask += jump;
        else if (type === MAs) bid -= jump;
        else if (type === LAb) bid += Math.min(jump, room);
        else if (type === LAs) ask -= Math.min(jump, room);
        else if (type === CAb) bid -= jump;
        else ask += jump;
      }
      let side = 0;
      if (hasBid) {
        if (type === MAs) side = qb > bid || (qb === bid && random() < p.z2) ? 1 : 0;
        else if (type === MNs) side = (qb > b0 && random() < p.z1) || (qb === b0 && random() < p.z3) ? 1 : 0;
        else if (type === LAs) side = qb >= ask ? 1 : 0;
      }
      if (side === 0 && hasAsk) {
        if (type === MAb) side = qa < ask || (qa === ask && random() < p.z2) ? -1 : 0;
        else if (type === MNb) side = (qa < a0 && random() < p.z1) || (qa === a0 && random() < p.z3) ? -1 : 0;
        else if (type === LAb) side = qa <= bid ? -1 : 0;
      }
      if (side !== 0) {
        absInt += Math.abs(inv) * (t - lastChange);
        lastChange = t;
        const price = (side > 0 ? qb : qa) * p.tick;
        inv += side;
        cash += -side * price - p.fee * price;
        trades++;
        if (side > 0) hasBid = false; else hasAsk = false;
      }
    }
  }
  absInt += Math.abs(inv) * (p.horizon - lastChange);
  return { pnl: cash + inv * 0.5 * (bid + ask) * p.tick, inventory: inv, map: absInt / p.horizon, trades, events };
}

function runBacktestJs(p, paths, seed) {
  const out = [];
  for (let i = 0; i < paths; i++) out.push(runPath(p, seed * 1000003 + i));
  return out;
}

module.exports = { runBacktestJs, runPath };
