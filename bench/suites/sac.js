// SAC training speed (issue 15, deliverable 8): trainPolicy's steps per second (one environment
// step, a backtest step of dt on the paper's market, plus one gradient update with batch 512 on
// 2 x 64 ReLU networks) on 1 and 2 threads, the same on the one-step control problem (the update
// with a negligible environment), and the same SAC update in PyTorch on the CPU
// (bench/peers/sac_torch.py: stable-baselines3's SAC.train written out, random replay data) and
// the authors' environment step in plain Python/numpy (bench/peers/drlformm_env.py, the published
// event loop, SYM's action) in the same run: together what a researcher would otherwise run. Target (issue 15): 1e6 steps in <= 120 s on this 2-core machine, i.e. 8,333 steps/s.
// Throughput is steps (updates) per second; the ratio is PyTorch's time per update over ours.
'use strict';

const { execFileSync } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');

// The paper's episode: T = 100 s, dt = 1 s, c = 3 (on today's default market parameters).
const MARKET = { horizon: 100, dt: 1, inventoryLimit: 3 };
const TORCH_PYTHON = '/usr/bin/python3';

// The authors' environment (numpy only), as many episodes of 100 steps as the row times.
function envPeer(episodes) {
  const out = execFileSync(TORCH_PYTHON, [path.join(__dirname, '..', 'peers', 'drlformm_env.py'), '--episodes', String(episodes), '--loop', 'published', '--seed', '1'], { encoding: 'utf8' });
  return JSON.parse(out);
}

// hawkgraph's environment step alone: SYM on one thread, steps (paths x 100) per second.
function hawkgraphEnvRate(hg, paths) {
  const t0 = process.hrtime.bigint();
  hg.runBacktest({ strategy: 'sym', paths, seed: 1, threads: 1 });
  return (paths * MARKET.horizon) / (Number(process.hrtime.bigint() - t0) / 1e9);
}

function torchPeer(updates, threads) {
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const out = execFileSync(TORCH_PYTHON, [path.join(__dirname, '..', 'peers', 'sac_torch.py'), String(updates), String(threads)], { encoding: 'utf8', env });
  return JSON.parse(out);
}

function hasTorch() {
  try {
    execFileSync(TORCH_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// One timed run as the harness's stats.
function timed(seconds, items) {
  const us = seconds * 1e6;
  return { samples: 1, p50: us, p90: us, p99: us, p999: us, max: us, mean: us, throughput: items / seconds, itemsPerCall: items };
}

module.exports = {
  name: 'sac',
  title: 'SAC training (hawkgraph trainPolicy vs the same update in PyTorch on the CPU)',
  async run(ctx) {
    const hg = ctx.hawkgraph;
    const internal = require(path.join(ctx.root, 'dist', 'internal.js'));
    const steps = ctx.quick ? 2000 : 10000;
    const torchUpdates = ctx.quick ? 300 : 1000;
    ctx.note(`steps per row: ${steps}; each rate includes the 100 random steps before the first update and, for trainPolicy, a 1000-step normalisation run`);
    // Every row is one timed run: on a shared machine the load moves it, so say what the load was.
    ctx.note(`load average at the start: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} cores`);
    const rates = {};
    // CPU seconds beside wall seconds: on a loaded machine the 1-thread figure per CPU-second is the steadier one.
    const cpuSeconds = (c0) => {
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / 1e6;
    };
    for (const threads of [1, 2]) {
      const c0 = process.cpuUsage();
      const r = await hg.trainPolicy(MARKET, { steps, threads, calibrationSteps: 1000, seed: 1 });
      const cpu = cpuSeconds(c0);
      rates[`lob.${threads}`] = steps / r.seconds;
      ctx.addRow({
        name: `trainPolicy, LOB env (T = 100 s, dt = 1 s), batch 512, 2 x 64, ${threads} thread${threads > 1 ? 's' : ''}`,
        stats: timed(r.seconds, steps),
        note: `${(steps / r.seconds).toFixed(0)} steps/s: 1e6 steps in ${(1e6 / (steps / r.seconds)).toFixed(0)} s; ${(steps / cpu).toFixed(0)} steps per CPU-second`,
      });
      ctx.record(`lob.threads-${threads}`, { steps, seconds: r.seconds });
    }
    for (const threads of [1, 2]) {
      const o = internal.resolveTrainOptions({ steps, threads, seed: 1 }, 0.01);
      const t0 = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      internal.sacHooks.trainControl(o, Float64Array.of(0.5, -0.3), Float32Array.of(0, 0));
      const cpu = cpuSeconds(c0);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      rates[`control.${threads}`] = steps / seconds;
      ctx.addRow({
        name: `SAC update (one-step control env), batch 512, 2 x 64, ${threads} thread${threads > 1 ? 's' : ''}`,
        stats: timed(seconds, steps),
        note: `${(steps / seconds).toFixed(0)} updates/s; ${(steps / cpu).toFixed(0)} per CPU-second (${((steps * 72.8e-3) / cpu).toFixed(0)} GFLOP per CPU-second at 72.8 MFLOP an update)`,
      });
      ctx.record(`control.threads-${threads}`, { steps, seconds });
    }
    const episodes = ctx.quick ? 20 : 100;
    let env;
    try {
      env = envPeer(episodes);
    } catch (e) {
      ctx.note(`the authors' environment did not run under ${TORCH_PYTHON} (it needs numpy): ${e.message.split('\n')[0]}; its rows skipped`);
      return;
    }
    const ours = hawkgraphEnvRate(hg, ctx.quick ? 200 : 1000);
    ctx.addRow({
      name: `the authors' environment step, plain Python/numpy (published event loop, SYM's action), ${episodes} episodes of 100 steps`,
      stats: timed(env.seconds, episodes * 100),
      ratio: ours / env.stepsPerSecond,
      note: `${env.stepsPerSecond.toFixed(0)} steps/s; ratio: hawkgraph's env step (SYM, 1 thread: ${ours.toFixed(0)} steps/s) over this`,
    });
    ctx.record('authors-env', { ...env, hawkgraphStepsPerSecond: ours });
    if (!hasTorch()) {
      ctx.note(`PyTorch not found for ${TORCH_PYTHON} (apt-get install python3-torch): torch rows skipped`);
      return;
    }
    for (const threads of [1, 2]) {
      const p = torchPeer(torchUpdates, threads);
      if (!Number.isFinite(p.criticLoss)) throw new Error(`the PyTorch peer's critic loss is ${p.criticLoss}`);
      ctx.addRow({
        name: `PyTorch ${p.torch} SAC update (stable-baselines3's order), batch 512, 2 x 64, ${threads} thread${threads > 1 ? 's' : ''}`,
        stats: timed(p.seconds, p.updates),
        ratio: rates[`control.${threads}`] / p.updatesPerSecond,
        note: `${p.updatesPerSecond.toFixed(0)} updates/s, no environment`,
      });
      ctx.record(`torch.threads-${threads}`, p);
      if (threads === 1) {
        // One training step as a researcher would run it: the authors' env step, then the PyTorch update.
        const perStep = 1 / env.stepsPerSecond + 1 / p.updatesPerSecond;
        ctx.addRow({
          name: "the authors' env step + the PyTorch update, 1 thread (one SAC training step in Python)",
          stats: timed(perStep * steps, steps),
          ratio: rates['lob.1'] * perStep,
          note: `${(1 / perStep).toFixed(0)} steps/s: 1e6 steps in ${(1e6 * perStep / 3600).toFixed(1)} h; ratio: trainPolicy's 1-thread rate over this`,
        });
      }
    }
  },
};
