// Peer for bench/suites/backtest.js: the same market-making procedure (docs/backtest.md, the seed
// paper's interactive model) written the way a Node developer would: Ogata thinning for the
// 8-event Hawkes process (one beta per excited dimension), the agent's orders as book events that
// excite it, the LOB jumps (redrawn where a rule bounds them, as the authors' code does), steps of
// dt with SYM or LIN quotes, a small seeded PRNG, plain arrays and Math.log / Math.exp. No
// hawkgraph code.
'use strict';

const { makeRandom } = require('../shared');

const MAb = 0, MAs = 1, LAb = 2, LAs = 3, CAb = 4, CAs = 5, MNb = 6, MNs = 7;

/**
 * One path. p: { mu[8], alpha[8][8], beta[8] (per excited row), location[8], scale[8], tick,
 * initialBid, initialAsk (ticks), horizon, dt, c, z1, z2, z3, fillAtSweepStop, feeMaker, feeTaker,
 * strategy: 'sym' | { bid: [c0, c1], ask: [c0, c1] } (ticks from the mid) }.
 */
function runPath(p, seed) {
  const random = makeRandom(seed);
  const y = new Float64Array(8);
  let muTotal = 0;
  for (let k = 0; k < 8; k++) muTotal += p.mu[k];
  let t = 0, bid = p.initialBid, ask = p.initialAsk;
  let inv = 0, cash = 0, trades = 0, events = 0, absInt = 0, lastChange = 0;
  let hasBid = false, hasAsk = false, qb = 0, qa = 0;
  const c = p.c;
  const jump = (type) => Math.max(1, Math.round(p.location[type] - p.scale[type] * Math.log(random())));
  const jumpAtMost = (type, cap) => {
    for (let i = 0; i < 1000; i++) {
      const j = jump(type);
      if (j <= cap) return j;
    }
    return cap;  // a jump law that cannot reach the bound
  };
  const excite = (type) => { for (let j = 0; j < 8; j++) y[j] += p.alpha[j][type]; };
  const fill = (side, price, maker) => {
    absInt += Math.abs(inv) * (t - lastChange);
    lastChange = t;
    const value = price * p.tick;
    inv += side;
    cash += -side * value - (maker ? p.feeMaker : p.feeTaker) * value;
    trades++;
  };
  const marketOrder = (side) => {
    if (random() < p.z1) {
      const j = jump(side > 0 ? MAb : MAs);
      if (side > 0) { fill(1, ask + j / 2, false); ask += j; excite(MAb); } else { fill(-1, bid - j / 2, false); bid -= j; excite(MAs); }
    } else {
      fill(side, side > 0 ? ask : bid, false);
      excite(side > 0 ? MNb : MNs);
    }
    hasBid = hasAsk = false;
  };
  const steps = Math.ceil(p.horizon / p.dt - 1e-9);
  for (let k = 0; k < steps; k++) {
    const t1 = k + 1 === steps ? p.horizon : (k + 1) * p.dt;
    // Cancel (aggressively with probability Z2 at the best), then place.
    if (hasAsk && qa === ask && random() < p.z2) { ask += jump(CAs); excite(CAs); }
    if (hasBid && qb === bid && random() < p.z2) { bid -= jump(CAb); excite(CAb); }
    hasBid = inv < c; hasAsk = inv > -c; qb = bid; qa = ask;
    if (p.strategy !== 'sym') {
      const mid = 0.5 * (bid + ask);
      qb = Math.floor(mid - (p.strategy.bid[0] + p.strategy.bid[1] * inv));
      qa = Math.ceil(mid + (p.strategy.ask[0] + p.strategy.ask[1] * inv));
      if (hasBid && hasAsk && qa <= qb) hasBid = hasAsk = false;
    }
    if (hasAsk) {
      if (qa <= bid) marketOrder(-1);
      else if (qa < ask) { ask = qa; excite(LAs); }
    }
    if (hasBid) {
      if (qb >= ask) marketOrder(1);
      else if (qb > bid) { bid = qb; excite(LAb); }
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
      let happens = true;
      if (type === MAb) {
        ask += jump(MAb);
        if (hasAsk) {
          const prob = qa < ask ? 1 : qa === ask ? p.fillAtSweepStop : 0;
          if (inv > -c && random() < prob) { hasAsk = false; fill(-1, qa, true); }
          if (hasAsk && qa < ask) hasAsk = false;
        }
      } else if (type === MAs) {
        bid -= jump(MAs);
        if (hasBid) {
          const prob = qb > bid ? 1 : qb === bid ? p.fillAtSweepStop : 0;
          if (inv < c && random() < prob) { hasBid = false; fill(1, qb, true); }
          if (hasBid && qb > bid) hasBid = false;
        }
      } else if (type === LAb || type === LAs) {
        if (ask - bid >= 2) {
          const j = jumpAtMost(type, ask - bid - 1);
          if (type === LAb) bid += j; else ask -= j;
        } else happens = false;
      } else if (type === CAb) {
        if (!hasBid) bid -= jump(CAb);
        else if (bid >= qb + 1) bid -= jumpAtMost(CAb, bid - qb);
        else happens = false;
      } else if (type === CAs) {
        if (!hasAsk) ask += jump(CAs);
        else if (ask <= qa - 1) ask += jumpAtMost(CAs, qa - ask);
        else happens = false;
      } else if (type === MNb) {
        if (hasAsk && qa === ask && inv > -c && random() < p.z3) { hasAsk = false; fill(-1, qa, true); }
      } else if (hasBid && qb === bid && inv < c && random() < p.z3) {
        hasBid = false;
        fill(1, qb, true);
      }
      if (happens) {
        excite(type);
        events++;
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
