// Distributed studies (docs/distributed.md): the noise-and-fees study (SYM, LIN from the GLFT
// helper, a 2 x 64 policy; 3 noise levels, 4 fees) through 1, 2 and 4 worker processes of one
// native thread each, on a redis-server this suite starts on a free loopback port, against
// runStudy in the same run (1 thread: the one-process baseline of the speed-up; 2 threads: all of
// this machine); each distributed result is checked bit-identical to the local one first. Then
// what a worker SIGKILLed mid-shard costs on 2 workers (wall time with the kill - without, beside
// the killed shard's own time and the queue's detection delay), and the queue's cost per shard
// from a sweep of shard sizes (--part scaling,kill,shards picks sections). Skipped, saying so, without redis-server.
'use strict';

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const { policyBytes, median } = require('../shared.js');

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// A child process, resolved once `ready` appears in its output.
function start(cmd, args, ready) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start: ${out}`)), 20_000);
    const onData = (d) => {
      out += d.toString();
      if (out.includes(ready)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${cmd} exited (${code}): ${out}`)));
  });
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

// CPU seconds a process has used (Linux: /proc/<pid>/stat utime + stime, in clock ticks); NaN elsewhere.
const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
function cpuSecondsOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return NaN;
  }
}

// The same numbers, bit for bit: every per-path column of every base and fee result, and every row.
function checkSame(local, d, what) {
  const cols = (r) => Object.entries(r.paths);
  for (const [name, r] of Object.entries(local.base)) {
    for (const [k, col] of cols(r)) {
      const other = d.base[name].paths[k];
      for (let i = 0; i < col.length; i++) if (!Object.is(col[i], other[i])) throw new Error(`distributed (${what}): ${name}.${k}[${i}] ${other[i]} differs from runStudy's ${col[i]}`);
    }
  }
  const metrics = (s) => JSON.stringify(s.rows, (k, v) => (typeof v === 'number' ? `${Object.is(v, -0) ? '-0' : v}` : v));
  if (metrics(local) !== metrics(d)) throw new Error(`distributed (${what}): rows differ from runStudy's`);
}

module.exports = {
  name: 'distributed',
  title: 'Distributed studies over BullMQ on Redis: 1, 2, 4 worker processes vs runStudy, and the cost per shard',
  async run(ctx) {
    const hg = ctx.hawkgraph;
    try {
      execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    } catch {
      ctx.note('distributed: skipped: redis-server is not installed (Debian: apt-get install redis-server)');
      return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hg-bench-redis-'));
    const port = await freePort();
    const redis = await start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], 'Ready to accept connections');
    const url = `redis://127.0.0.1:${port}`;
    const connection = { host: '127.0.0.1', port };
    const cli = path.join(ctx.root, 'dist', 'cli.js');
    const workers = [];
    const load = () => os.loadavg()[0].toFixed(2);
    const statsOf = (seconds, items) => {
      const us = seconds * 1e6;
      return { samples: 1, p50: us, p90: us, p99: us, p999: us, max: us, mean: us, throughput: items / seconds, itemsPerCall: items };
    };
    // Wall seconds, and CPU seconds of this process and every worker (the load moves the first, hardly the second).
    const timed = async (fn) => {
      const l0 = load();
      const cpu = () => workers.reduce((n, w) => n + cpuSecondsOf(w.pid), cpuSecondsOf(process.pid));
      const c0 = cpu();
      const t0 = process.hrtime.bigint();
      const r = await fn();
      return { r, seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpu: cpu() - c0, load: `load ${l0} -> ${load()}` };
    };
    try {
      const paths = ctx.quick ? 100 : Number(ctx.args.paths ?? 1000);
      // 600 s paths: the study of the backtest suite (and of issue 18's 34.5 s); --horizon for others.
      const horizon = Number(ctx.args.horizon ?? (ctx.quick ? 100 : 600));
      const glft = hg.glftOffsets({ A: 2, k: 0.5, sigma: 3, gamma: 0.01 });
      const config = {
        strategies: { SYM: 'sym', LIN: { lin: glft }, POLICY: { policy: policyBytes() } },
        paths, horizon, seed: 1, noise: [0.1, 0.2, 0.3], feeSweep: [0, 0.002, 0.004, 0.006],
      };
      const runs = 3 * 4;
      const totalPaths = runs * paths;
      const what = `${runs} runs x ${paths} paths x ${horizon} s`;
      // --part scaling,kill,shards (default all): the sections to run.
      const parts = new Set(String(ctx.args.part ?? 'scaling,kill,shards').split(','));
      hg.runStudy({ ...config, paths: 8, threads: 1 });
      const local1 = await timed(() => hg.runStudy({ ...config, threads: 1 }));
      ctx.addRow({ name: `runStudy, 1 process, 1 thread (${what})`, stats: statsOf(local1.seconds, totalPaths), note: `baseline of the speed-ups; ${local1.cpu.toFixed(2)} CPU-s; ${local1.load}` });
      const local2 = parts.has('scaling') && await timed(() => hg.runStudy({ ...config, threads: 2 }));
      if (local2) ctx.addRow({ name: 'runStudy, 1 process, 2 threads', stats: statsOf(local2.seconds, totalPaths), ratio: local1.seconds / local2.seconds, note: `ratio: speed-up over 1 thread (what this machine's load leaves of its 2 cores); ${local2.cpu.toFixed(2)} CPU-s; ${local2.load}` });
      const shardPaths = Math.max(1, Math.round(paths / 4));
      let queue = 0;
      const distributed = async (n, shards) => {
        const queueName = `bench-${++queue}`;
        while (workers.length > 0) await stop(workers.pop());
        for (let i = 0; i < n; i++) workers.push(await start(process.execPath, [cli, 'worker', '--redis', url, '--queue', queueName, '--threads', '1', '--name', `w${i}`], 'ready'));
        // Warm each worker (addon loaded, first run) before timing.
        await hg.runStudyDistributed({ ...config, paths: 2 * n, noise: [], feeSweep: [] }, { connection, queueName, shardPaths: 1 });
        return timed(() => hg.runStudyDistributed(config, { connection, queueName, shardPaths: shards }));
      };
      // 2 workers with these lock settings; the study once as it is, once with worker w1 SIGKILLed in
      // the first shard it starts after `killAt` of the study's paths are done, and a new worker
      // started at once. Times of the killed shard from the queue's own events.
      const killedWorker = async (lockDuration, stalledInterval, shards, killAt) => {
        const queueName = `bench-${++queue}`;
        const flags = ['--lock-duration', String(lockDuration), '--stalled-interval', String(stalledInterval)];
        const spawnWorker = (name) => start(process.execPath, [cli, 'worker', '--redis', url, '--queue', queueName, '--threads', '1', '--name', name, ...flags], 'ready');
        while (workers.length > 0) await stop(workers.pop());
        for (const name of ['w0', 'w1']) workers.push(await spawnWorker(name));
        await hg.runStudyDistributed({ ...config, paths: 4, noise: [], feeSweep: [] }, { connection, queueName, shardPaths: 1 });
        const clean = await timed(() => hg.runStudyDistributed(config, { connection, queueName, shardPaths: shards }));
        // What the supervisor's restart costs by itself on these 2 cores (a new process's start-up
        // competes with the workers): the same study with a worker of another queue started at
        // the point the kill would come, nothing killed.
        const decoyAt = performance.now() + (clean.seconds * 1000 * killAt);
        let decoy;
        const decoyTimer = setInterval(() => {
          if (performance.now() < decoyAt || decoy) return;
          decoy = start(process.execPath, [cli, 'worker', '--redis', url, '--queue', `${queueName}-decoy`, '--threads', '1', '--name', 'decoy', ...flags], 'ready');
        }, 5);
        const restartOnly = await timed(() => hg.runStudyDistributed(config, { connection, queueName, shardPaths: shards }));
        clearInterval(decoyTimer);
        if (decoy) await stop(await decoy);
        const { QueueEvents } = require('bullmq');
        const events = new QueueEvents(queueName, { connection });
        await events.waitUntilReady();
        const activeAt = new Map();
        const t = { how: '', at: NaN, kill: NaN, stalled: NaN, rerun: NaN, restart: NaN, started: NaN };
        let victimJob;
        let fraction = 0;
        let restarted;
        events.on('active', ({ jobId }) => {
          activeAt.set(jobId, performance.now());
          if (jobId === victimJob && Number.isFinite(t.stalled) && Number.isNaN(t.rerun)) t.rerun = performance.now();
        });
        // Back in the queue: BullMQ's stalled check ('stalled') or the coordinator's release of a dead worker's job ('waiting').
        const requeued = (how) => ({ jobId }) => {
          if (jobId !== victimJob || Number.isFinite(t.stalled)) return;
          t.stalled = performance.now();
          t.how = how;
        };
        events.on('stalled', requeued('BullMQ\'s stalled check'));
        events.on('waiting', requeued('the coordinator, its worker\'s connection gone'));
        // Killed half its shard's mean time (in the clean run) after it started one.
        const half = 500 * clean.r.provenance.shards.reduce((n, x) => n + x.seconds, 0) / clean.r.provenance.shards.length;
        const completed = new Set();
        let candidate;
        events.on('completed', ({ jobId }) => completed.add(jobId));
        events.on('progress', ({ jobId, data }) => {
          if (victimJob !== undefined || candidate !== undefined || fraction < killAt || data?.worker !== 'w1' || completed.has(jobId)) return;
          candidate = jobId;
          setTimeout(() => {
            candidate = undefined;
            if (victimJob !== undefined || completed.has(jobId)) return;
            victimJob = jobId;
            t.kill = performance.now();
            t.at = fraction;
            t.started = activeAt.get(jobId) ?? NaN;
            workers.find((w) => w.spawnargs.includes('w1')).kill('SIGKILL');
            restarted = spawnWorker('w1-restarted').then((w) => {
              t.restart = performance.now();
              workers.push(w);
            });
          }, half);
        });
        const killed = await timed(() => hg.runStudyDistributed(config, {
          connection, queueName, shardPaths: shards, onProgress: (p) => (fraction = p.pathsDone / p.paths),
        }));
        await restarted;
        await events.close();
        const shard = killed.r.provenance.shards.find((s) => s.jobId === victimJob);
        // The shard finished between the timer's check and the kill (its 'completed' event was
        // still on its way): nothing was lost, so this run measures nothing; the caller runs another.
        if (!shard) throw new Error(`distributed: no shard ${victimJob} in the killed run's provenance`);
        if (shard.stalls < 1) return null;
        const s = (ms) => ms / 1000;
        return {
          clean, restartOnly, killed, at: t.at, shardSeconds: shard.seconds, lost: s(t.kill - t.started), detect: s(t.stalled - t.kill),
          rerun: s(t.rerun - t.kill), restart: s(t.restart - t.kill), how: t.how,
        };
      };
      const seconds = {};
      for (const n of parts.has('scaling') ? [1, 2, 4] : []) {
        const d = await distributed(n, shardPaths);
        checkSame(local1.r, d.r, `${n} workers`);
        seconds[n] = d.seconds;
        const shards = d.r.provenance.shards.length;
        const used = new Set(d.r.provenance.shards.map((s) => s.worker)).size;
        ctx.addRow({
          name: `${n} worker process${n > 1 ? 'es' : ''} x 1 thread, shards of ${shardPaths} paths`,
          stats: statsOf(d.seconds, totalPaths),
          ratio: local1.seconds / d.seconds,
          note: `ratio: speed-up over runStudy on 1 thread; ${n > 1 ? `${(seconds[1] / d.seconds).toFixed(2)}x over 1 worker; ` : ''}${shards} shards on ${used} workers, bit-identical; ${d.cpu.toFixed(2)} CPU-s (coordinator + workers; runStudy ${local1.cpu.toFixed(2)}); ${d.load}`,
        });
      }
      if (parts.has('scaling')) ctx.record('speedupTwoWorkersOverOne', seconds[1] / seconds[2]);
      // What a killed worker costs (issue 18): the same study on 2 workers, one SIGKILLed mid-shard
      // half-way through (and once near the end, where nothing else is left to hide the detection)
      // and restarted at once (as a supervisor would), against the same 2 workers without the kill,
      // for the default lock settings and those a user would pick for shards of a fraction of a second.
      // Each setting is measured --kill-repeats times (default 3), a clean and a killed run each
      // time: between identical runs the wall time varies by more than a shard's, so the figure is
      // the median of the paired differences, each pair's beside it.
      const repeats = ctx.quick ? 1 : Number(ctx.args['kill-repeats'] ?? 3);
      for (const [lockDuration, stalledInterval, killAt] of ctx.quick ? [[1000, 500, 0.5]] : [[10_000, 5000, 0.5], [2000, 1000, 0.5], [1000, 500, 0.5], [10_000, 5000, 0.9]]) {
        if (!parts.has('kill')) break;
        const ks = [];
        for (let tries = 0; ks.length < repeats; tries++) {
          if (tries === repeats + 3) throw new Error(`distributed: the kill missed its shard in ${tries} runs`);
          const k = await killedWorker(lockDuration, stalledInterval, shardPaths, killAt);
          if (k === null) continue;
          checkSame(local1.r, k.clean.r, `2 workers, lock ${lockDuration} ms`);
          checkSame(local1.r, k.killed.r, `2 workers, one killed, lock ${lockDuration} ms`);
          ks.push({ ...k, cost: k.killed.seconds - k.clean.seconds, restartCost: k.restartOnly.seconds - k.clean.seconds });
        }
        const med = (f) => median(ks.map(f));
        const each = (f) => ks.map((k) => f(k).toFixed(2)).join(', ');
        const lock = `lockDuration ${lockDuration} ms, stalledInterval ${stalledInterval} ms`;
        ctx.addRow({ name: `2 workers, ${lock}, no kill`, stats: statsOf(med((k) => k.clean.seconds), totalPaths), ratio: local1.seconds / med((k) => k.clean.seconds), note: `ratio: speed-up over runStudy on 1 thread; the baseline of the kill's cost; median of ${repeats} runs: ${each((k) => k.clean.seconds)} s; ${ks[0].clean.load}` });
        const cost = med((k) => k.cost), shard = med((k) => k.shardSeconds);
        ctx.addRow({
          name: `2 workers, ${lock}, one SIGKILLed mid-shard at ${(100 * med((k) => k.at)).toFixed(0)} % and restarted`,
          stats: statsOf(med((k) => k.killed.seconds), totalPaths),
          ratio: cost / shard,
          note: `ratio: the kill's cost, median of ${repeats} paired differences (wall with - without: ${each((k) => k.cost)} s) ${cost.toFixed(2)} s over the killed shard's own run time ${shard.toFixed(2)} s (${each((k) => k.shardSeconds)}); `
            + `lost work (the killed attempt had run) ${each((k) => k.lost)} s; detection (kill -> shard back in the queue, by ${ks[0].how}) ${each((k) => k.detect)} s `
            + `(BullMQ's own: lockDuration + stalledInterval = ${((lockDuration + stalledInterval) / 1000).toFixed(1)} s); shard re-run started ${each((k) => k.rerun)} s after the kill; `
            + `the restarted worker ready ${each((k) => k.restart)} s after it; a worker process started at that point without a kill (the restart's own cost on these cores) adds ${each((k) => k.restartCost)} s (median ${med((k) => k.restartCost).toFixed(2)}); bit-identical; ${ks[ks.length - 1].killed.load}`,
        });
      }
      // The queue's cost per shard: one worker, the base runs only, smaller and smaller shards.
      // On 100 s paths, where the queue's share is largest.
      const base = { ...config, horizon: 100, noise: [], feeSweep: [] };
      const baseLocal = parts.has('shards') && await timed(() => hg.runStudy({ ...base, threads: 1 }));
      for (const shards of !parts.has('shards') ? [] : ctx.quick ? [paths] : [paths, 100, 25, 5]) {
        const queueName = `bench-${++queue}`;
        while (workers.length > 0) await stop(workers.pop());
        workers.push(await start(process.execPath, [cli, 'worker', '--redis', url, '--queue', queueName, '--threads', '1'], 'ready'));
        await hg.runStudyDistributed({ ...base, paths: 2 }, { connection, queueName, shardPaths: 1 });
        const d = await timed(() => hg.runStudyDistributed(base, { connection, queueName, shardPaths: shards }));
        const count = d.r.provenance.shards.length;
        ctx.addRow({
          name: `1 worker, base runs (3 x ${paths} paths x 100 s), shards of ${shards} paths`,
          stats: statsOf(d.seconds, 3 * paths),
          ratio: baseLocal.seconds / d.seconds,
          note: `${count} shards; ${(((d.seconds - baseLocal.seconds) / count) * 1000).toFixed(1)} ms wall and ${(((d.cpu - baseLocal.cpu) / count) * 1000).toFixed(1)} ms CPU per shard over runStudy's ${baseLocal.seconds.toFixed(2)} s, ${baseLocal.cpu.toFixed(2)} CPU-s; ${d.load}`,
        });
      }
    } finally {
      while (workers.length > 0) await stop(workers.pop());
      await stop(redis);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
