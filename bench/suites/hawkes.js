// Hawkes simulation throughput (events/s): hawkgraph's exact method and Ogata thinning for
// D = 1, 2, 8 (the LOB model) and 32 on one core and on all cores, against a straightforward
// JavaScript Ogata and a numpy Ogata timed in the same run; CUDA rows (stats reduced on the
// device, paths = 1k, 100k, 1M) where a device is present.
//
// Every case uses exponential kernels with spectral radius 0.7 (the reference setting of the
// issue: tick's C++ simulator about 6.6e5 events/s on one core here): mu = 0.5 per type, beta
// = 10 per excited dimension, alpha with row sums 0.7 * beta, half of it on the diagonal.
// Each peer's event rates are checked against (I - alpha/beta)^-1 mu before it is timed.
'use strict';

const { execFileSync } = require('node:child_process');
const path = require('node:path');

const { simulateOgata } = require('../peers/hawkes-ogata.js');

const RADIUS = 0.7;
const BETA = 10;
const MU = 0.5;

function params(D) {
  const alpha = [];
  for (let k = 0; k < D; k++) {
    const row = [];
    for (let l = 0; l < D; l++) {
      const share = D === 1 ? 1 : k === l ? 0.5 : 0.5 / (D - 1);
      row.push(RADIUS * BETA * share);
    }
    alpha.push(row);
  }
  return { mu: new Array(D).fill(MU), alpha, beta: new Array(D).fill(BETA) };
}

// With constant row sums of alpha/beta the stationary intensity is mu / (1 - radius) per type.
const RATE_PER_TYPE = MU / (1 - RADIUS);

// Expected events of `paths` paths over [0, endTime] from an empty start: with one beta and equal
// row sums, E[lambda(t)] = L + (mu - L) exp(-k t), k = beta (1 - radius), so short horizons see
// fewer events than the stationary rate alone would give.
function checkRates(name, events, D, endTime, paths) {
  const k = BETA * (1 - RADIUS);
  const perType = RATE_PER_TYPE * endTime - ((RATE_PER_TYPE - MU) * (1 - Math.exp(-k * endTime))) / k;
  const expected = perType * D * paths;
  const rel = Math.abs(events - expected) / expected;
  if (!(rel < 0.05)) throw new Error(`${name}: ${events} events where about ${expected.toFixed(0)} were expected (rel. error ${rel.toFixed(3)})`);
}

function hasNumpy() {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

module.exports = {
  name: 'hawkes',
  title: 'Hawkes simulation, events/s (hawkgraph exact and thinning vs JavaScript and numpy Ogata; CUDA stats-only)',
  async run(ctx) {
    const hg = ctx.hawkgraph;
    const cores = ctx.machine.cores;
    const backend = ctx.args.backend;
    const wantCpu = backend === undefined || backend === true || backend === 'cpu' || backend === 'all';
    const wantCuda = backend === undefined || backend === true || backend === 'cuda' || backend === 'all';
    // Events per timed call: about 1.5M (300k quick).
    const targetEvents = ctx.quick ? 3e5 : 1.5e6;
    const opts = { minSamples: 3, minTimeMs: ctx.quick ? 200 : 1500, maxTimeMs: ctx.quick ? 1500 : 8000, warmup: 1 };

    const hgRate = {};
    if (wantCpu) {
      const dims = ctx.quick ? [1, 8] : [1, 2, 8, 32];
      for (const D of dims) {
        const p = params(D);
        const hp = new hg.HawkesProcess(p);
        const paths = 64;
        const endTime = targetEvents / (RATE_PER_TYPE * D * paths);
        for (const method of ['exact', 'thinning']) {
          const threadsList = cores > 1 ? [1, cores] : [1];
          for (const threads of threadsList) {
            for (const statsOnly of D === 8 ? [false, true] : [false]) {
              const run = () => hp.simulate({ endTime, seed: 1, paths, method, threads, statsOnly });
              const events = run().stats.events;
              checkRates(`hawkgraph D=${D} ${method}`, events, D, endTime, paths);
              const stats = await ctx.measure(run, { ...opts, itemsPerCall: events });
              if (threads === 1 && !statsOnly) hgRate[`${D}-${method}`] = stats.throughput;
              ctx.addRow({
                name: `D=${D}${D === 8 ? ' (LOB dims)' : ''} ${method}, ${threads} thread${threads > 1 ? 's' : ''}${statsOnly ? ', stats only' : ', events returned'}`,
                stats,
                note: `${paths} paths x endTime ${endTime.toFixed(1)}; throughput = events/s${threads > 1 ? ` on ${threads} cores` : ''}`,
              });
            }
          }
        }
      }
      const exactLob = hgRate['8-exact'], thinLob = hgRate['8-thinning'];
      if (exactLob && thinLob) ctx.note(`hawkes D=8 one core: exact ${(exactLob / 1e6).toFixed(2)}M events/s, thinning ${(thinLob / 1e6).toFixed(2)}M events/s`);

      // The LOB model itself: events with marks and best prices returned.
      const lp = params(8);
      const lob = new hg.LobModel({ hawkes: lp, jumps: { location: 1, scale: 1.5 }, tick: 0.01, initialBid: 100, initialAsk: 100.01 });
      const lobEnd = targetEvents / (RATE_PER_TYPE * 8 * 64);
      const lobRun = () => lob.simulate({ endTime: lobEnd, seed: 1, paths: 64, threads: 1 });
      const lobEvents = lobRun().stats.events;
      checkRates('hawkgraph LobModel', lobEvents, 8, lobEnd, 64);
      ctx.addRow({ name: 'LobModel (D=8) exact, 1 thread, events + prices returned', stats: await ctx.measure(lobRun, { ...opts, itemsPerCall: lobEvents }) });

      // Peers, D = 8, one core.
      const base = hgRate['8-exact'];
      const ratio = (s) => (base ? base / s.throughput : undefined);
      const jsEnd = (ctx.quick ? 1e5 : 5e5) / (RATE_PER_TYPE * 8);
      const jsRun = () => simulateOgata(lp, jsEnd, 7);
      const jsEvents = jsRun().times.length;
      checkRates('JavaScript Ogata peer', jsEvents, 8, jsEnd, 1);
      const jsStats = await ctx.measure(jsRun, { ...opts, itemsPerCall: jsEvents });
      ctx.addRow({ name: 'D=8 hand-written JavaScript Ogata (what a TypeScript version compiles to), 1 thread', stats: jsStats, ratio: ratio(jsStats), note: 'ratio: hawkgraph exact events/s over this' });

      if (hasNumpy()) {
        const npEnd = (ctx.quick ? 1e4 : 6e4) / (RATE_PER_TYPE * 8);
        const out = JSON.parse(execFileSync('python3', [path.join(__dirname, '..', 'peers', 'hawkes_numpy.py'), JSON.stringify(lp), String(npEnd), '7'], { encoding: 'utf8' }));
        checkRates('numpy Ogata peer', out.events, 8, npEnd, 1);
        const us = (out.seconds * 1e6);
        const npStats = { samples: 1, p50: us, p90: us, p99: us, p999: us, max: us, mean: us, throughput: out.events / out.seconds, itemsPerCall: out.events };
        ctx.addRow({ name: `D=8 numpy ${out.numpy} Ogata (python3 subprocess), 1 thread`, stats: npStats, ratio: ratio(npStats), note: 'one run timed with perf_counter_ns' });
      } else {
        ctx.note('hawkes numpy peer skipped: `python3 -c "import numpy"` fails on this machine');
      }
    }

    if (wantCuda) {
      const cuda = hg.runtime().cuda;
      if (!cuda.compiled || cuda.devices.length === 0) {
        ctx.note(`hawkes cuda rows skipped: no CUDA device (${!cuda.compiled ? 'CUDA support not compiled in' : cuda.status})`);
        return;
      }
      const hp = new hg.HawkesProcess(params(8));
      const totalEvents = ctx.quick ? 5e7 : 1e9;
      for (const paths of [1_000, 100_000, 1_000_000]) {
        const endTime = totalEvents / (RATE_PER_TYPE * 8 * paths);
        const run = () => hp.simulate({ endTime, seed: 1, paths, statsOnly: true, backend: 'cuda' });
        const first = run();
        checkRates(`hawkgraph cuda ${paths} paths`, first.stats.events, 8, endTime, paths);
        // The device and the CPU share the Philox streams: the first paths' counts agree exactly.
        const stats = await ctx.measure(run, { ...opts, minSamples: 3, itemsPerCall: first.stats.events });
        ctx.addRow({
          name: `D=8 exact on ${cuda.devices[0].name}, ${paths.toLocaleString('en-US')} paths, stats on device`,
          stats,
          note: `endTime ${endTime.toFixed(2)}; throughput = events/s`,
        });
      }
      const ev = hp.simulate({ endTime: 20, seed: 1, paths: 10_000, backend: 'cuda' });
      const cpu = hp.simulate({ endTime: 20, seed: 1, paths: 10_000 });
      if (ev.types.length !== cpu.types.length) ctx.note(`hawkes cuda events mode: ${ev.types.length} events vs ${cpu.types.length} on the CPU for the same seed`);
      const evRun = () => hp.simulate({ endTime: 20, seed: 1, paths: 10_000, backend: 'cuda' });
      ctx.addRow({ name: 'D=8 exact on CUDA, 10,000 paths, events streamed back', stats: await ctx.measure(evRun, { ...opts, itemsPerCall: ev.times.length }) });
    }
  },
};
