// Market-making backtests (docs/backtest.md): paths/s and simulated events/s per strategy (SYM,
// LIN from the GLFT helper, a 2 x 64 ReLU policy evaluated natively) on 1 and 2 threads; the
// study of the issue end to end (3 strategies x 1000 paths x 600 s, then with 3 noise levels and
// 4 fees); GPU rows where a device is present; and a straightforward JavaScript event loop of the
// same procedure (bench/peers/backtest-js.js) in the same run, checked against hawkgraph's
// event rate and SYM's mean PnL first.
'use strict';

const { runBacktestJs } = require('../peers/backtest-js.js');
const { policyBytes } = require('../shared.js');

function sum(a) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

module.exports = {
  name: 'backtest',
  title: 'Market-making backtests: paths/s and events/s per strategy, the study end to end, vs a JavaScript event loop',
  async run(ctx) {
    const hg = ctx.hawkgraph;
    const backend = ctx.args.backend;
    const wantCpu = backend === undefined || backend === true || backend === 'cpu' || backend === 'all';
    const wantCuda = backend === undefined || backend === true || backend === 'cuda' || backend === 'all';
    const horizon = 600;
    const glft = hg.glftOffsets({ A: 2, k: 0.5, sigma: 3, gamma: 0.01 });
    const strategies = { SYM: 'sym', LIN: { lin: glft }, POLICY: { policy: policyBytes() } };
    const cpuSecondsOf = async (fn) => {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const r = await fn();
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const c = process.cpuUsage(c0);
      return { r, wall, cpu: (c.user + c.system) / 1e6 };
    };
    const statsOf = (seconds, items) => {
      const us = seconds * 1e6;
      return { samples: 1, p50: us, p90: us, p99: us, p999: us, max: us, mean: us, throughput: items / seconds, itemsPerCall: items };
    };

    let symOneThread;
    const oneThreadPathsPerSecond = {};
    if (wantCpu) {
      const paths = ctx.quick ? 64 : 400;
      for (const [name, strategy] of Object.entries(strategies)) {
        for (const threads of [1, 2]) {
          const cfg = { strategy, paths, horizon, seed: 1, threads };
          hg.runBacktest({ ...cfg, paths: 8 });
          const { r, wall, cpu } = await cpuSecondsOf(() => hg.runBacktest(cfg));
          const events = sum(r.paths.events);
          if (threads === 1) oneThreadPathsPerSecond[name] = paths / wall;
          if (name === 'SYM' && threads === 1) symOneThread = { eventsPerSecond: events / wall, pathsPerSecond: paths / wall, pnl: r.metrics.mean, std: r.metrics.std, events, paths };
          ctx.addRow({
            name: `${name}, ${threads} thread${threads > 1 ? 's' : ''}: paths/s (${paths} paths x ${horizon} s)`,
            stats: statsOf(wall, paths),
            note: `${(events / wall / 1e6).toFixed(2)}M events/s, ${(events / cpu / 1e6).toFixed(2)}M events per CPU-second, ${(events / paths / horizon).toFixed(1)} events/s simulated`,
          });
        }
      }

      // The study of the issue, end to end (configs resolved, runs, metrics): 3 strategies x 1000 paths x 600 s.
      const studyPaths = ctx.quick ? 100 : 1000;
      const base = { strategies, paths: studyPaths, horizon, seed: 1 };
      const s1 = await cpuSecondsOf(() => hg.runStudy({ ...base, noise: [], feeSweep: [] }));
      const ev1 = Object.values(s1.r.base).reduce((n, r) => n + sum(r.paths.events), 0);
      ctx.addRow({ name: `study: SYM, LIN, 2x64 policy, ${studyPaths} paths each, ${horizon} s (target <= 10 s at 1000 paths)`, stats: statsOf(s1.wall, 3 * studyPaths), note: `${(ev1 / 1e6).toFixed(0)}M events in ${s1.wall.toFixed(2)} s wall, ${s1.cpu.toFixed(1)} CPU-s` });
      ctx.record('studyBaseSeconds', s1.wall);
      const s2 = await cpuSecondsOf(() => hg.runStudy({ ...base, noise: [0.1, 0.2, 0.3], feeSweep: [0, 0.002, 0.004, 0.006] }));
      ctx.addRow({ name: `study + noise 0.1/0.2/0.3 + fees 0/0.2/0.4/0.6 %, ${studyPaths} paths (target <= 90 s at 1000 paths)`, stats: statsOf(s2.wall, s2.r.rows.length), note: `${s2.r.rows.length} metric rows; fee rows reuse each strategy's base simulation (quotes do not depend on fees); ${s2.cpu.toFixed(1)} CPU-s` });
      ctx.record('studyFullSeconds', s2.wall);

      // The JavaScript peer: SYM and LIN, one thread, checked against hawkgraph first.
      const p = hg.resolveBacktestConfig({ strategy: 'sym' });
      const peerParams = (strategy) => ({
        mu: p.hawkes.mu, alpha: p.hawkes.alpha, beta: p.hawkes.beta.map((row) => row[0]), location: p.jumps.location, scale: p.jumps.scale,
        tick: p.tick, initialBid: Math.round(p.initialBid / p.tick), initialAsk: Math.round(p.initialAsk / p.tick), horizon, dt: p.dt,
        c: p.inventoryLimit, z1: p.Z1, z2: p.Z2, z3: p.Z3, fillAtSweepStop: p.fillAtSweepStop, feeMaker: p.fees.maker, feeTaker: p.fees.taker, strategy,
      });
      const peerPaths = ctx.quick ? 4 : 24;
      for (const [name, strategy] of [['SYM', 'sym'], ['LIN', glft]]) {
        const { r, wall } = await cpuSecondsOf(() => runBacktestJs(peerParams(strategy), peerPaths, 7));
        const events = r.reduce((n, x) => n + x.events, 0);
        const rate = events / peerPaths / horizon;
        if (name === 'SYM' && symOneThread) {
          const target = symOneThread.events / symOneThread.paths / horizon;
          if (!(Math.abs(rate / target - 1) < 0.1)) throw new Error(`backtest JS peer: ${rate.toFixed(1)} events/s simulated, hawkgraph's SYM ${target.toFixed(1)}`);
          const mean = r.reduce((n, x) => n + x.pnl, 0) / peerPaths;
          const se = Math.hypot(symOneThread.std / Math.sqrt(symOneThread.paths), symOneThread.std / Math.sqrt(peerPaths));
          if (!(Math.abs(mean - symOneThread.pnl) < 5 * se)) throw new Error(`backtest JS peer: SYM mean PnL ${mean.toFixed(2)} vs hawkgraph ${symOneThread.pnl.toFixed(2)} (5 s.e. = ${(5 * se).toFixed(2)})`);
        }
        const stats = statsOf(wall, peerPaths);
        ctx.addRow({
          name: `${name}, hand-written JavaScript event loop (Ogata thinning), 1 thread: paths/s`,
          stats,
          ratio: oneThreadPathsPerSecond[name] ? oneThreadPathsPerSecond[name] / stats.throughput : undefined,
          note: `${(events / wall / 1e6).toFixed(2)}M events/s; ratio: hawkgraph ${name} 1-thread paths/s over this`,
        });
      }
    }

    if (wantCuda) {
      const cuda = hg.runtime().cuda;
      if (!cuda.compiled || cuda.devices.length === 0) {
        ctx.note(`backtest cuda rows skipped: no CUDA device (${!cuda.compiled ? 'CUDA support not compiled in' : cuda.status})`);
        return;
      }
      for (const [name, strategy] of Object.entries(strategies)) {
        for (const paths of ctx.quick ? [1000] : [1000, 100000]) {
          const cfg = { strategy, paths, horizon, seed: 1, backend: 'cuda', timeGrid: 0 };
          hg.runBacktest({ ...cfg, paths: 128 });
          const { r, wall } = await cpuSecondsOf(() => hg.runBacktest(cfg));
          const events = sum(r.paths.events);
          ctx.addRow({ name: `${name} on ${cuda.devices[0].name}, ${paths.toLocaleString('en-US')} paths x ${horizon} s: paths/s`, stats: statsOf(wall, paths), note: `${(events / wall / 1e6).toFixed(1)}M events/s` });
        }
      }
      const s = await cpuSecondsOf(() => hg.runStudy({ strategies, paths: 1000, horizon, seed: 1, noise: [], feeSweep: [], backend: 'cuda' }));
      ctx.addRow({ name: 'study on CUDA: SYM, LIN, 2x64 policy, 1000 paths each, 600 s (target <= 0.5 s on an H100)', stats: statsOf(s.wall, 3000) });
    }
  },
};
