// A Hawkes simulation with statistics only over the study queue (simulateDistributed): a shard
// [firstPath, firstPath + paths) draws exactly the paths a local run draws, its statistics
// blocks are the whole run's, and the merged statistics equal simulate({ statsOnly }).stats bit
// for bit (Object.is on every number) for any shard size, 1 or 2 worker processes and any
// thread count; hostile simulation jobs fail with codes; bad options are refused, naming them.
// The Redis parts are skipped, saying so, without redis-server.
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';

import { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { HawkesProcess, createWorker, simulateDistributed } from '../dist/index.js';
import { runSimulateJob } from '../dist/distributed/simulate.js';
import { foldSimulationRows } from '../dist/distributed/merge.js';
import { native } from '../dist/native/index.js';
import { type RedisServer, killAtFirstProgress, redisServerMissing, startRedis } from './helpers/redis';

const CLI = path.join(__dirname, '..', 'dist', 'cli.js');
const missing = redisServerMissing();
if (missing) console.log(`test/89 (simulate) skipped: ${missing}`);

const params = {
  mu: [0.4, 0.25],
  alpha: [[0.5, 0.2], [0.3, 0.4]],
  beta: [[1.5, 1.5], [1.2, 1.2]],
};
// Unequal decay rates in a row: the scalar driver, not the vector lanes.
const mixed = { mu: [0.3, 0.2], alpha: [[0.4, 0.2], [0.1, 0.5]], beta: [[1.5, 0.9], [2.0, 1.1]] };
const W = 6 + 3 * 2;

function expectSameStats(local: Record<string, unknown>, other: Record<string, unknown>, where: string): void {
  expect(Object.keys(other).sort(), where).toEqual(Object.keys(local).sort());
  for (const [k, a] of Object.entries(local)) {
    const b = other[k];
    if (ArrayBuffer.isView(a)) {
      const x = a as Float64Array, y = b as Float64Array;
      expect(y.length, `${where}.${k}`).toBe(x.length);
      for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) throw new Error(`${where}.${k}[${i}]: ${y[i]} differs from the local ${x[i]}`);
    } else if (!Object.is(a, b)) {
      throw new Error(`${where}.${k}: ${String(b)} differs from the local ${String(a)}`);
    }
  }
}

// A shard as a worker runs it (no Redis): its rows, block size and paths.
async function shard(p: typeof params, options: { endTime: number; seed: number; maxEvents?: number; method?: 'exact' | 'thinning' }, firstPath: number, paths: number, totalPaths: number, threads = 1) {
  const proc = new HawkesProcess(p);
  const data = {
    v: 1, simulation: 's', shard: 0, process: { ...proc.params(), allowExplosive: false },
    options: { endTime: options.endTime, seed: options.seed, maxEvents: options.maxEvents ?? proc.maxEvents, method: options.method ?? 'exact' }, firstPath, paths, totalPaths,
  };
  const r = await runSimulateJob(data, threads, new AbortController().signal, () => {}, 'test');
  const bytes = Buffer.from(r.rows, 'base64');
  return { jobId: `s${firstPath}`, firstPath, paths, block: r.statsBlock, rows: new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
}

// The statistics simulate() derives from a row (lib/hawkes/simulate.ts statsFromRow), written out again.
function statsOf(row: Float64Array, D: number, n: number) {
  const countsMean = new Float64Array(D), countsVariance = new Float64Array(D), terminal = new Float64Array(D);
  for (let k = 0; k < D; k++) {
    const m = row[6 + k] / n;
    countsMean[k] = m;
    countsVariance[k] = n > 1 ? Math.max(0, (row[6 + D + k] - n * m * m) / (n - 1)) : 0;
    terminal[k] = row[6 + 2 * D + k] / n;
  }
  const gaps = row[1], gm = gaps > 0 ? row[2] / gaps : NaN, mm = row[4] / n;
  return {
    paths: n, events: row[0], countsMean, countsVariance, interArrivalMean: gm,
    interArrivalVariance: gaps > 1 ? Math.max(0, (row[3] - gaps * gm * gm) / (gaps - 1)) : NaN,
    terminalIntensityMean: terminal, midChangeMean: mm, midChangeVariance: n > 1 ? Math.max(0, (row[5] - n * mm * mm) / (n - 1)) : 0,
  };
}

describe('a simulation shard is that part of the local run', () => {
  it('the local statsOnly statistics do not depend on the thread count', () => {
    for (const p of [params, mixed]) {
      const proc = new HawkesProcess(p);
      for (const paths of [5, 37, 700, 20_000]) {
        const base = { endTime: 30, seed: 9, paths, statsOnly: true };
        const one = proc.simulate({ ...base, threads: 1 }).stats;
        for (const threads of [2, 3, 8]) expectSameStats(one as never, proc.simulate({ ...base, threads }).stats as never, `${paths} paths on ${threads} threads`);
      }
    }
  }, 120_000);

  it('path firstPath + i of a shard is path firstPath + i of the local run (events, counts and gaps per path)', async () => {
    const proc = new HawkesProcess(mixed);
    const T = 50;
    const local = proc.simulate({ endTime: 20, seed: 4, paths: T });
    // Shards of one path each give each path's own statistics row.
    for (const first of [0, 13, 49]) {
      const s = await shard(mixed, { endTime: 20, seed: 4 }, first, 1, T);
      expect(s.rows.length).toBe(W);
      const from = local.pathOffsets[first], to = local.pathOffsets[first + 1];
      const counts = [0, 0];
      let gapSum = 0;
      for (let i = from; i < to; i++) {
        counts[local.types[i]]++;
        if (i > from) gapSum += local.times[i] - local.times[i - 1];
      }
      expect(s.rows[0], `events of path ${first}`).toBe(to - from);
      expect([s.rows[6], s.rows[7]], `counts of path ${first}`).toEqual(counts);
      expect(s.rows[2]).toBeCloseTo(gapSum, 12);
    }
  });

  it('shards of any size and thread count fold into the local statistics bit for bit', async () => {
    for (const [p, T] of [[params, 37], [params, 700], [mixed, 3000]] as const) {
      const local = new HawkesProcess(p).simulate({ endTime: 25, seed: 3, paths: T, statsOnly: true }).stats;
      for (const sizes of [[T], [1, T - 1], [5, 8, 300, 1, T], [7, 7, 7, 7], [257, 1000]]) {
        const pieces = [];
        for (let first = 0, i = 0; first < T; i++) {
          const n = Math.min(sizes[i % sizes.length], T - first);
          pieces.push(await shard(p, { endTime: 25, seed: 3 }, first, n, T, 1 + (i % 3)));
          first += n;
        }
        expect(new Set(pieces.map((x) => x.block)).size).toBe(1);
        const row = foldSimulationRows([...pieces].reverse(), T, W);
        expectSameStats(local as never, statsOf(row, 2, T) as never, `${T} paths in shards of ${sizes.join(', ')}`);
        if (T === 3000 && sizes[0] === 257) {
          // Why the block order matters: each shard's rows summed, then the shard sums, misses here in the last bit.
          const naive = new Float64Array(W);
          for (const x of pieces) {
            const sum = new Float64Array(W);
            for (let i = 0; i < x.rows.length; i++) sum[i % W] += x.rows[i];
            for (let j = 0; j < W; j++) naive[j] += sum[j];
          }
          expect(naive[2]).not.toBe(row[2]);
          expect(Math.abs(naive[2] - row[2])).toBeLessThan(1e-9 * row[2]);
        }
      }
    }
  }, 120_000);

  it('thinning and truncated paths (maxEvents) fold exactly too', async () => {
    for (const o of [{ endTime: 25, seed: 6, method: 'thinning' as const }, { endTime: 200, seed: 8, maxEvents: 40 }]) {
      const T = 1500;
      const local = new HawkesProcess(mixed).simulate({ ...o, paths: T, statsOnly: true }).stats;
      const pieces = [];
      for (let first = 0; first < T; first += 301) pieces.push(await shard(mixed, o, first, Math.min(301, T - first), T, 2));
      expectSameStats(local as never, statsOf(foldSimulationRows(pieces, T, W), 2, T) as never, JSON.stringify(o));
    }
  });

  it('the native shard options are checked (ERR_INVALID_OPTION naming the field)', () => {
    const proc = new HawkesProcess(params);
    const base = { endTime: 5, seed: 0, paths: 10, maxEvents: 1000, threads: 1, maxStoredEvents: 1e6, method: 'exact', intensity: false, statsOnly: true, backend: 'cpu' };
    const run = (extra: object) => () => native().addon.hawkesSimulate(proc.mu, proc.alpha, proc.beta, false, { ...base, ...extra } as never);
    expect(run({ firstPath: 5, totalPaths: 12 })).toThrow(/totalPaths must be an integer in \[15, \d+\] \(at least firstPath \+ paths\), got 12/);
    expect(run({ firstPath: -1 })).toThrow(/firstPath must be an integer/);
    expect(run({ firstPath: 1, backend: 'cuda' })).toThrow(/cpu backend|cuda/i);
  });
});

function spawnWorker(url: string, queue: string, name: string, extra = ['--threads', '2']): { proc: ChildProcess; ready: Promise<void>; stop: () => Promise<void> } {
  const proc = spawn(process.execPath, [CLI, 'worker', '--redis', url, '--queue', queue, '--name', name, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    const on = (d: Buffer) => {
      out += d.toString();
      if (/ready/.test(out)) resolve();
    };
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', on);
    proc.once('exit', (code) => reject(new Error(`worker exited (${code}): ${out}`)));
  });
  ready.catch(() => {});
  return {
    proc, ready,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

describe.skipIf(missing !== undefined)('simulateDistributed on a real Redis', () => {
  let redis: RedisServer;
  let connection: { host: string; port: number };
  const workers: ReturnType<typeof spawnWorker>[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    connection = { host: '127.0.0.1', port: redis.port };
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await redis?.stop();
  });

  it('1 and 2 worker processes give simulate({ statsOnly }) bit for bit, shards of any size, with provenance and progress', async () => {
    const proc = new HawkesProcess(params);
    const options = { endTime: 40, seed: 21, paths: 5000 };
    const local = proc.simulate({ ...options, statsOnly: true }).stats;
    const names: string[] = [];
    for (const [count, shardPaths] of [[1, 5000], [1, 333], [2, 7], [2, 1250], [2, 4999]]) {
      while (names.length < count) {
        const name = `sim-${names.length + 1}`;
        const w = spawnWorker(redis.url, 'sim', name);
        workers.push(w);
        await w.ready;
        names.push(name);
      }
      const progress: number[] = [];
      const d = await simulateDistributed(params, options, { connection, queueName: 'sim', shardPaths, onProgress: (p) => progress.push(p.pathsDone) });
      expectSameStats(local as never, d.stats as never, `${count} worker(s), shards of ${shardPaths}`);
      expect(d.provenance.shards.length).toBe(Math.ceil(5000 / shardPaths));
      let next = 0;
      for (const s of d.provenance.shards) {
        expect(s.firstPath).toBe(next);
        next += s.paths;
        expect(names).toContain(s.worker);
      }
      expect(next).toBe(5000);
      expect(d.provenance).toMatchObject({ seed: 21, shardPaths, queueName: 'sim' });
      expect(d.provenance.simulationId).toMatch(/^sim-[0-9a-f]{32}$/);
      expect(progress.at(-1)).toBe(5000);
    }
    // Merged results leave Redis.
    const q = new Queue('sim', { connection });
    expect(Object.values(await q.getJobCounts()).reduce((a, b) => a + b, 0)).toBe(0);
    await q.close();
  }, 240_000);

  it('a worker SIGKILLed mid-shard loses only that shard: another runs it, the statistics are identical', async () => {
    // Two shards of about half a second each on one thread; the victim dies at its first progress.
    const options = { endTime: 400, seed: 13, paths: 40_000 };
    const local = new HawkesProcess(params).simulate({ ...options, statsOnly: true }).stats;
    const fast = ['--threads', '1', '--lock-duration', '1000', '--stalled-interval', '500'];
    const survivor = spawnWorker(redis.url, 'sim-kill', 'survivor', fast);
    const victim = spawnWorker(redis.url, 'sim-kill', 'victim', fast);
    workers.push(survivor, victim);
    await Promise.all([survivor.ready, victim.ready]);
    const kill = killAtFirstProgress('victim', victim.proc);
    const d = await simulateDistributed(params, options, { connection, queueName: 'sim-kill', shardPaths: 20_000, onProgress: kill.onProgress });
    expect(kill.killed).toBe(true);
    expect(victim.proc.signalCode).toBe('SIGKILL');
    expectSameStats(local as never, d.stats as never, 'after a killed worker');
    expect(d.provenance.shards.map((s) => s.worker)).toEqual(['survivor', 'survivor']);
    const retried = d.provenance.shards.filter((s) => s.stalls >= 1);
    expect(retried.length).toBe(1);
    expect(retried[0].attempts).toBeGreaterThanOrEqual(2);
    expect(d.provenance.shards.filter((s) => s.stalls === 0).map((s) => s.attempts)).toEqual([1]);
  }, 120_000);

  it('a simulation started again reuses the shards kept in Redis; abort removes the queued shards and rejects with the reason', async () => {
    const options = { endTime: 10, seed: 5, paths: 900 };
    const local = new HawkesProcess(mixed).simulate({ ...options, statsOnly: true }).stats;
    const w = createWorker({ connection, queueName: 'sim-resume', threads: 1 });
    await w.ready();
    try {
      const first = await simulateDistributed(mixed, options, { connection, queueName: 'sim-resume', shardPaths: 100, keepResults: true });
      expect(first.provenance.shards.every((s) => !s.reused)).toBe(true);
      const again = await simulateDistributed(mixed, options, { connection, queueName: 'sim-resume', shardPaths: 100 });
      expect(again.provenance.simulationId).toBe(first.provenance.simulationId);
      expect(again.provenance.shards.every((s) => s.reused)).toBe(true);
      expectSameStats(local as never, again.stats as never, 'resumed');
    } finally {
      await w.close();
    }
    // No worker serves this queue: the shards wait until the abort removes them.
    const ac = new AbortController();
    const reason = new Error('stop now');
    const run = simulateDistributed(mixed, options, { connection, queueName: 'sim-abort', shardPaths: 300, signal: ac.signal });
    setTimeout(() => ac.abort(reason), 300);
    await expect(run).rejects.toBe(reason);
    const q = new Queue('sim-abort', { connection });
    expect(await q.getWaitingCount()).toBe(0);
    await q.close();
  }, 60_000);

  it('hostile and malformed simulation jobs fail with a coded error, are not retried, and the worker keeps serving', async () => {
    const w = createWorker({ connection, queueName: 'sim-hostile', threads: 1 });
    await w.ready();
    const q = new Queue('sim-hostile', { connection });
    const events = new QueueEvents('sim-hostile', { connection });
    await events.waitUntilReady();
    const proc = new HawkesProcess(params);
    const good = {
      v: 1, simulation: 'x', shard: 0, process: { ...proc.params(), allowExplosive: false },
      options: { endTime: 10, seed: 1, maxEvents: 1000, method: 'exact' }, firstPath: 3, paths: 4, totalPaths: 10,
    };
    const finished = async (data: unknown) => {
      const job = await q.add('hawkes-simulate-shard', data, { attempts: 3 });
      await job.waitUntilFinished(events).catch(() => {});
      return (await q.getJob(job.id!))!;
    };
    try {
      const cases: [unknown, RegExp][] = [
        ['not an object', /ERR_INVALID_ARGUMENT: job: data must be an object/],
        [{ ...good, exec: 'rm -rf /' }, /ERR_INVALID_ARGUMENT: job: unknown field exec/],
        [{ ...good, v: 2 }, /ERR_INVALID_ARGUMENT: job: v must be 1/],
        [{ ...good, process: { ...good.process, mu: 'x' } }, /ERR_HAWKES_PARAMETER: .*mu/],
        [{ ...good, process: { ...good.process, alpha: [[5, 0], [0, 5]] } }, /ERR_HAWKES/],
        [{ ...good, process: { ...good.process, allowExplosive: 'yes' } }, /process\.allowExplosive must be a boolean/],
        [{ ...good, options: { ...good.options, threads: 64 } }, /ERR_INVALID_ARGUMENT: job: unknown field options\.threads/],
        [{ ...good, options: { ...good.options, endTime: -1 } }, /ERR_INVALID_OPTION: .*endTime must be a finite number > 0, got -1/],
        [{ ...good, options: { ...good.options, method: 'eval' } }, /ERR_INVALID_OPTION: .*method must be 'exact' or 'thinning'/],
        [{ ...good, firstPath: 8 }, /ERR_INVALID_OPTION: job paths must be an integer in \[1, 2\], got 4/],
        [{ ...good, firstPath: -1 }, /ERR_INVALID_OPTION: job firstPath must be an integer/],
        [{ ...good, totalPaths: 1e13 }, /ERR_INVALID_OPTION: job totalPaths must be an integer/],
        [{ ...good, paths: 1.5 }, /ERR_INVALID_OPTION: job paths must be an integer in \[1, 7\], got 1.5/],
        [{ ...good, paths: undefined }, /ERR_INVALID_ARGUMENT: job: paths is required/],
      ];
      for (const [data, why] of cases) {
        const job = await finished(data);
        expect(await job.getState(), `${JSON.stringify(data)}`).toBe('failed');
        expect(job.failedReason).toMatch(why);
        expect(job.attemptsMade).toBe(1);
      }
      const ok = await finished(good);
      expect(await ok.getState()).toBe('completed');
      const r = ok.returnvalue as { v: number; rows: string; statsBlock: number };
      // Paths 3..6 of a 10-path run: blocks of 8, the first cut, so one row per path.
      expect(r.statsBlock).toBe(8);
      expect(Buffer.from(r.rows, 'base64').length).toBe(4 * W * 8);
    } finally {
      await events.close();
      await q.close();
      await w.close();
    }
  }, 60_000);
});

describe('simulateDistributed refuses bad input before touching Redis', () => {
  const connection = { host: '127.0.0.1', port: 1, lazyConnect: true };
  const options = { endTime: 10, paths: 100 };
  const cases: [string, () => Promise<unknown>, string, RegExp][] = [
    ['no connection', () => simulateDistributed(params, options, {} as never), 'ERR_INVALID_OPTION', /connection must be ioredis options/],
    ['shardPaths 0', () => simulateDistributed(params, options, { connection, shardPaths: 0 }), 'ERR_INVALID_OPTION', /shardPaths must be an integer in \[1, .*got 0/],
    ['a bad simulation id', () => simulateDistributed(params, options, { connection, simulationId: 'a b' }), 'ERR_INVALID_OPTION', /simulationId must be 1 to 128 letters.*got "a b"/],
    ['an unknown option', () => simulateDistributed(params, options, { connection, shards: 2 } as never), 'ERR_INVALID_OPTION', /unknown option "shards"/],
    ['threads (the workers\')', () => simulateDistributed(params, { ...options, threads: 2 }, { connection }), 'ERR_INVALID_OPTION', /simulate option "threads" cannot be distributed/],
    ['the cuda backend', () => simulateDistributed(params, { ...options, backend: 'cuda' }, { connection }), 'ERR_INVALID_OPTION', /simulate option "backend" cannot be distributed/],
    ['statsOnly false', () => simulateDistributed(params, { ...options, statsOnly: false }, { connection }), 'ERR_INVALID_OPTION', /statsOnly must be true/],
    ['a bad endTime', () => simulateDistributed(params, { endTime: 0 }, { connection }), 'ERR_INVALID_OPTION', /endTime must be a finite number > 0, got 0/],
    ['bad paths', () => simulateDistributed(params, { endTime: 1, paths: 1.5 }, { connection }), 'ERR_INVALID_OPTION', /paths must be an integer/],
    ['bad parameters', () => simulateDistributed({ ...params, mu: [-1, 0.2] }, options, { connection }), 'ERR_HAWKES_PARAMETER', /mu/],
  ];
  for (const [what, run, code, message] of cases) {
    it(`refuses ${what} (${code} naming the field)`, async () => {
      await expect(run()).rejects.toMatchObject({ name: 'HawkgraphError', code, message: expect.stringMatching(message) });
    });
  }
});
