// Distributed studies over BullMQ on a real Redis (Debian's redis-server on a free loopback
// port): results bit-identical to runStudy for 1, 2 and 3 worker processes and uneven shards,
// a worker SIGKILLed mid-shard, a shard queued twice, a coordinator killed and restarted, abort,
// hostile jobs and bad options. Skipped, saying so, without redis-server.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createWorker, renderReport, runBacktest, runStudy, runStudyDistributed, trainPolicy, trainPolicyGridDistributed } from '../dist/index.js';
import { policyFile } from './helpers/policy';
import { type RedisServer, killAtFirstProgress, redisServerMissing, startRedis } from './helpers/redis';

const CLI = path.join(__dirname, '..', 'dist', 'cli.js');
const missing = redisServerMissing();
if (missing) console.log(`test/89 skipped: ${missing}`);

// Every number compared with Object.is (so -0, NaN and the last bit count); `seconds` and the
// distributed provenance are not part of runStudy's result.
function expectSameBits(a: unknown, b: unknown, where = 'result'): void {
  if (typeof a === 'number') {
    if (!Object.is(a, b)) throw new Error(`${where}: ${String(b)} differs from the local ${a}`);
  } else if (ArrayBuffer.isView(a)) {
    const x = a as Float64Array, y = b as Float64Array;
    expect(y?.constructor, where).toBe(x.constructor);
    expect(y.length, where).toBe(x.length);
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) throw new Error(`${where}[${i}]: ${y[i]} differs from the local ${x[i]}`);
  } else if (a !== null && typeof a === 'object') {
    expect(b !== null && typeof b === 'object', where).toBe(true);
    const skip = new Set(['seconds', 'provenance']);
    const ka = Object.keys(a).filter((k) => !skip.has(k)).sort(), kb = Object.keys(b as object).filter((k) => !skip.has(k)).sort();
    expect(kb, where).toEqual(ka);
    for (const k of ka) expectSameBits((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${where}.${k}`);
  } else {
    expect(b, where).toBe(a);
  }
}

// A column of a shard's binary result in Redis, read as docs/distributed.md lays it out: u32
// header length, JSON [name, count] per column, padding to 8 bytes, the float64 columns in order.
async function shardColumn(q: Queue, key: string, name: string): Promise<Float64Array> {
  const buf = (await (await q.client as unknown as { getBuffer(k: string): Promise<Buffer> }).getBuffer(key));
  const n = buf.readUInt32LE(0);
  const header = JSON.parse(buf.subarray(4, 4 + n).toString()) as [string, number][];
  let off = Math.ceil((4 + n) / 8) * 8;
  for (const [k, count] of header) {
    if (k === name) return new Float64Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + 8 * count));
    off += 8 * count;
  }
  throw new Error(`no column ${name}`);
}

async function keysLike(q: Queue, pattern: string): Promise<string[]> {
  return (await q.client as unknown as { keys(p: string): Promise<string[]> }).keys(pattern);
}

interface Child {
  proc: ChildProcess;
  output: () => string;
  waitFor: (re: RegExp, ms?: number) => Promise<void>;
  stop: () => Promise<void>;
}

function spawnCli(args: string[]): Child {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) {
      if (w.re.test(out)) w.resolve();
      else waiters.push(w);
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  return {
    proc,
    output: () => out,
    waitFor: (re, ms = 30_000) => new Promise<void>((resolve, reject) => {
      if (re.test(out)) return resolve();
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} in: ${out}`)), ms);
      waiters.push({ re, resolve: () => { clearTimeout(timer); resolve(); } });
      proc.once('exit', (code, sig) => reject(new Error(`exited (${code ?? sig}) before ${re}: ${out}`)));
    }),
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

describe.skipIf(missing !== undefined)('runStudyDistributed on a real Redis', () => {
  let redis: RedisServer;
  let connection: { host: string; port: number };
  const children: Child[] = [];
  const worker = (queue: string, name: string, extra: string[] = []) => {
    const c = spawnCli(['worker', '--redis', redis.url, '--queue', queue, '--name', name, '--threads', '1', ...extra]);
    children.push(c);
    return c;
  };
  const queueOf = (name: string) => new Queue(name, { connection });

  beforeAll(async () => {
    redis = await startRedis();
    connection = { host: '127.0.0.1', port: redis.port };
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
    await redis?.stop();
  });

  const studyConfig = {
    paths: 70, horizon: 20, seed: 7, noise: [0.1], feeSweep: [0, 0.003],
    strategies: {
      SYM: 'sym' as const,
      LIN: { lin: { bid: [1.5, 0.3] as [number, number], ask: [1.5, -0.3] as [number, number] } },
      GLFT: { glft: { A: 2, k: 0.5, sigma: 3, gamma: 0.01 } },
      RL: { policy: policyFile({ seed: 4 }) },
    },
  };

  it('1, 2 and 3 worker processes give runStudy bit for bit, shards of any size', async () => {
    const local = runStudy(studyConfig);
    const names: string[] = [];
    for (const [workers, shardPaths] of [[1, 37], [2, 23], [3, 11]]) {
      while (names.length < workers) {
        const name = `bits-${names.length + 1}`;
        await worker('bits', name).waitFor(/ready/);
        names.push(name);
      }
      const d = await runStudyDistributed(studyConfig, { connection, queueName: 'bits', shardPaths });
      expectSameBits(local, d, `${workers} workers, shards of ${shardPaths}`);
      // The shard map: each run's paths covered once, in order, by the workers started.
      const runs = 4 * 2;
      expect(d.provenance.shards.length).toBe(runs * Math.ceil(70 / shardPaths));
      for (let run = 0; run < runs; run++) {
        let next = 0;
        for (const s of d.provenance.shards.filter((x) => x.run === run)) {
          expect(s.firstPath).toBe(next);
          next += s.paths;
          expect(names).toContain(s.worker);
          expect(s.reused).toBe(false);
        }
        expect(next).toBe(70);
      }
      expect(d.provenance.seed).toBe(7);
      expect(d.provenance.shardPaths).toBe(shardPaths);
      expect(d.provenance.configHash).toMatch(/^[0-9a-f]{64}$/);
      expect(d.provenance.package).toEqual({ name: 'hawkgraph', version: JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version });
    }
    // The report of a distributed study is the local one; recorded runs (every step, fill and event) merge too.
    const d = await runStudyDistributed(studyConfig, { connection, queueName: 'bits', shardPaths: 30 });
    expect(renderReport(d, { notes: ['n'] })).toBe(renderReport(local, { notes: ['n'] }));
    const recorded = { paths: 9, horizon: 5, seed: 2, record: true, noise: [0.2], feeSweep: [0], strategies: { SYM: 'sym' as const } };
    const r = await runStudyDistributed(recorded, { connection, queueName: 'bits', shardPaths: 4 });
    expectSameBits(runStudy(recorded), r, 'recorded study');
    expect(r.base.SYM.records!.fills.path.length).toBeGreaterThan(0);
    // Merged results leave Redis.
    const q = queueOf('bits');
    expect(Object.values(await q.getJobCounts()).reduce((a, b) => a + b, 0)).toBe(0);
    expect(await keysLike(q, '*hawkgraph-result*')).toEqual([]);
    await q.close();
  }, 180_000);

  it('a worker SIGKILLed mid-shard loses only that shard: another runs it, the result is identical', async () => {
    const config = { paths: 400, horizon: 1500, seed: 11, noise: [], feeSweep: [0], strategies: { SYM: 'sym' as const } };
    const fast = ['--lock-duration', '1000', '--stalled-interval', '500'];
    // Both idle and waiting, so each takes one of the two shards; the victim dies at its first progress.
    const survivor = worker('kill', 'survivor', fast);
    const victim = worker('kill', 'victim', fast);
    await Promise.all([survivor.waitFor(/ready/), victim.waitFor(/ready/)]);
    const kill = killAtFirstProgress('victim', victim.proc);
    const t0 = performance.now();
    const d = await runStudyDistributed(config, { connection, queueName: 'kill', shardPaths: 200, onProgress: kill.onProgress });
    const seconds = (performance.now() - t0) / 1000;
    expect(kill.killed).toBe(true);
    expect(victim.proc.signalCode).toBe('SIGKILL');
    expectSameBits(runStudy(config), d);
    expect(d.provenance.shards.map((s) => s.worker)).toEqual(['survivor', 'survivor']);
    const retried = d.provenance.shards.filter((s) => s.stalls >= 1);
    expect(retried.length).toBe(1);
    expect(retried[0].attempts).toBeGreaterThanOrEqual(2);
    console.log(`test/89: study with a killed worker in ${seconds.toFixed(2)} s; shard times ${d.provenance.shards.map((s) => s.seconds.toFixed(2)).join(', ')} s`);
  }, 120_000);

  it('a killed worker\'s shard goes back to the queue once its connection is gone, long before its lock expires; live workers\' shards are untouched', async () => {
    const config = { paths: 400, horizon: 1500, seed: 12, noise: [], feeSweep: [0], strategies: { SYM: 'sym' as const } };
    // Locks of 10 minutes: within this test's minute only the coordinator's connection check can recover the shard.
    const slow = ['--lock-duration', '600000', '--stalled-interval', '300000'];
    const survivor = worker('orphan', 'survivor', slow);
    const victim = worker('orphan', 'victim', slow);
    await Promise.all([survivor.waitFor(/ready/), victim.waitFor(/ready/)]);
    const kill = killAtFirstProgress('victim', victim.proc);
    const d = await runStudyDistributed(config, { connection, queueName: 'orphan', shardPaths: 200, onProgress: kill.onProgress });
    expect(kill.killed).toBe(true);
    expectSameBits(runStudy(config), d);
    const [first, second] = d.provenance.shards;
    expect([first.worker, second.worker]).toEqual(['survivor', 'survivor']);
    // The victim's shard: released once and run again; the survivor's: one attempt, never released while it ran.
    const [released, kept] = first.stalls > 0 ? [first, second] : [second, first];
    expect(released).toMatchObject({ stalls: 1, attempts: 2 });
    expect(kept).toMatchObject({ stalls: 0, attempts: 1 });
  }, 60_000);

  it('a shard queued twice runs once and is merged once', async () => {
    const config = { paths: 40, horizon: 10, seed: 3, noise: [0.2], feeSweep: [0], strategies: { SYM: 'sym' as const } };
    const w = createWorker({ connection, queueName: 'dup', threads: 1 });
    const completed: string[] = [];
    w.on('completed', (id) => completed.push(id));
    await w.ready();
    try {
      // Two coordinators of one study at once: the same job ids, so each shard is queued once.
      const options = { connection, queueName: 'dup', shardPaths: 15, keepResults: true };
      const [a, b] = await Promise.all([runStudyDistributed(config, options), runStudyDistributed(config, options)]);
      const local = runStudy(config);
      expectSameBits(local, a);
      expectSameBits(local, b);
      const ids = a.provenance.shards.map((s) => s.jobId);
      expect(b.provenance.shards.map((s) => s.jobId)).toEqual(ids);
      expect([...completed].sort()).toEqual([...ids].sort());
      // Submitting a finished shard again adds nothing and runs nothing.
      const q = queueOf('dup');
      const job = (await q.getJob(ids[0]))!;
      await q.add(job.name, job.data, { jobId: ids[0] });
      await new Promise((r) => setTimeout(r, 500));
      expect(await q.getJobCounts('waiting', 'active', 'completed')).toMatchObject({ waiting: 0, active: 0, completed: ids.length });
      expect(completed.length).toBe(ids.length);
      // A third coordinator reuses every kept result.
      const c = await runStudyDistributed(config, { ...options, keepResults: false });
      expectSameBits(local, c);
      expect(c.provenance.shards.every((s) => s.reused)).toBe(true);
      expect(completed.length).toBe(ids.length);
      await q.close();
    } finally {
      await w.close();
    }
  }, 60_000);

  it('a coordinator killed mid-study and started again resumes with the shards already in Redis', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hg-resume-'));
    const config = { paths: 200, horizon: 100, seed: 9, noise: [0.1], feeSweep: [0], strategies: { SYM: 'sym' } };
    const file = path.join(dir, 'study.json');
    fs.writeFileSync(file, JSON.stringify(config));
    await worker('resume', 'resume-worker').waitFor(/ready/);
    const first = spawnCli(['study', file, '--redis', redis.url, '--queue', 'resume', '--shard-paths', '25']);
    children.push(first);
    await first.waitFor(/shards [1-9]\d*\/16/);
    await first.stop();
    const d = await runStudyDistributed(config as Parameters<typeof runStudy>[0], { connection, queueName: 'resume', shardPaths: 25 });
    expectSameBits(runStudy(config as Parameters<typeof runStudy>[0]), d);
    expect(d.provenance.shards.filter((s) => s.reused).length).toBeGreaterThanOrEqual(1);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('abort removes the shards not yet running and rejects with the reason', async () => {
    const ac = new AbortController();
    const reason = new Error('stop here');
    const config = { paths: 50, horizon: 10, noise: [], feeSweep: [0], strategies: { SYM: 'sym' as const } };
    let seen = 0;
    const run = runStudyDistributed(config, {
      connection, queueName: 'abort', shardPaths: 10, signal: ac.signal,
      onProgress: (p) => {
        seen = p.shards;
        ac.abort(reason);
      },
    });
    await expect(run).rejects.toBe(reason);
    expect(seen).toBe(5);
    const q = queueOf('abort');
    expect(Object.values(await q.getJobCounts()).reduce((a, b) => a + b, 0)).toBe(0);
    await q.close();
  }, 30_000);

  it('a grid of trainings on the queue gives trainPolicy\'s policies and metrics bit for bit, with their configs', async () => {
    const market = { horizon: 100, dt: 1, inventoryLimit: 3, seed: 7 };
    const quick = { steps: 400, batchSize: 32, hidden: [16, 16], calibrationSteps: 200, learningStarts: 100 };
    const points = [{ config: market, options: { ...quick, seed: 3 } }, { config: { ...market, phi: 0.05 }, options: { ...quick, seed: 4 } }];
    const w = createWorker({ connection, queueName: 'train', threads: 1 });
    await w.ready();
    try {
      const grid = await trainPolicyGridDistributed(points, { connection, queueName: 'train' });
      expect(grid.runs.length).toBe(2);
      for (const [i, p] of points.entries()) {
        const local = await trainPolicy(p.config, { ...p.options, threads: 1 });
        const run = grid.runs[i];
        expect(Buffer.from(run.policy).equals(Buffer.from(local.policy))).toBe(true);
        expectSameBits(local.metrics, run.metrics, `runs[${i}].metrics`);
        expect(run.inputMean).toEqual(local.inputMean);
        expect(run.steps).toBe(local.steps);
        expect(run.config.phi).toBe(i === 0 ? 0.01 : 0.05);
        expect(run.provenance.index).toBe(i);
      }
      // A bad point is refused before anything is queued, naming it.
      await expect(trainPolicyGridDistributed([points[0], { options: { steps: -1 } }], { connection, queueName: 'train' }))
        .rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/^points\[1\]: steps must be an integer/) });
      await expect(trainPolicyGridDistributed([{ options: { path: '/tmp/x' } as never }], { connection, queueName: 'train' }))
        .rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/points\[0\]\.options\.path cannot travel to a worker/) });
    } finally {
      await w.close();
    }
  }, 120_000);

  it('a shard that fails for good, or comes back not fitting its shard, fails the study with ERR_SHARD_FAILED naming it', async () => {
    const config = { paths: 10, horizon: 5, noise: [], feeSweep: [0], strategies: { SYM: 'sym' as const } };
    for (const [queueName, processor, why] of [
      ['fail', async () => { throw new UnrecoverableError('no such luck'); }, /\(run "SYM", paths 0 to 9\) failed after 1 attempt\(s\): no such luck/],
      ['forged', async () => ({ v: 2, worker: 'forger', seconds: 0, key: 'elsewhere', bytes: 0 }), /its result names the key "elsewhere"/],
    ] as const) {
      const w = new Worker(queueName, processor, { connection });
      await w.waitUntilReady();
      try {
        await expect(runStudyDistributed(config, { connection, queueName, shardPaths: 10 }))
          .rejects.toMatchObject({ name: 'HawkgraphError', code: 'ERR_SHARD_FAILED', message: expect.stringMatching(why) });
      } finally {
        await w.close();
      }
    }
  }, 30_000);

  it('hostile and malformed jobs fail with a coded error, are not retried, and the worker keeps serving', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hg-policies-'));
    const bytes = policyFile({ seed: 8 });
    fs.writeFileSync(path.join(dir, 'actor.safetensors'), bytes);
    fs.symlinkSync('/etc/hostname', path.join(dir, 'escape.safetensors'));
    const w = createWorker({ connection, queueName: 'hostile', threads: 1, policyDir: dir });
    await w.ready();
    const q = queueOf('hostile');
    const events = new QueueEvents('hostile', { connection });
    await events.waitUntilReady();
    const base = { horizon: 10, seed: 2, paths: 4, strategy: 'sym' };
    const finished = async (name: string, data: unknown) => {
      const job = await q.add(name, data, { attempts: 3 });
      await job.waitUntilFinished(events).catch(() => {});
      return (await q.getJob(job.id!))!;
    };
    try {
      const cases: [string, unknown, RegExp][] = [
        ['rm -rf /', { v: 1 }, /ERR_INVALID_ARGUMENT: job: unknown job name/],
        ['backtest-shard', 'not an object', /ERR_INVALID_ARGUMENT: job: data must be an object/],
        ['backtest-shard', { v: 1, firstPath: 0, config: { ...base, strategy: { policy: '../../etc/passwd' } } }, /ERR_POLICY: .*strategy\.policy/],
        ['backtest-shard', { v: 1, firstPath: 0, config: { ...base, strategy: { policy: 'escape.safetensors' } } }, /ERR_POLICY: .*outside the worker's policy directory/],
        ['backtest-shard', { v: 1, firstPath: 0, config: { ...base, hawkes: { mu: 'x' } } }, /ERR_HAWKES_PARAMETER: hawkes: mu must be an array of numbers, got "x"/],
        ['backtest-shard', { v: 1, firstPath: -1, config: base }, /ERR_INVALID_OPTION: job firstPath must be an integer/],
        ['backtest-shard', { v: 1, firstPath: 0, config: { ...base, threads: 64 } }, /config\.threads/],
        ['backtest-shard', { v: 1, firstPath: 0, config: { ...base, exec: 'rm -rf /' } }, /ERR_INVALID_OPTION: .*"exec"/],
      ];
      for (const [name, data, why] of cases) {
        const job = await finished(name, data);
        expect(await job.getState()).toBe('failed');
        expect(job.failedReason).toMatch(why);
        expect(job.attemptsMade).toBe(1);
      }
      // A policy named inside the policy directory runs: paths 5..8 of the local run, bit for bit.
      const ok = await finished('backtest-shard', { v: 1, firstPath: 5, config: { ...base, strategy: { policy: 'actor.safetensors' } } });
      expect(await ok.getState()).toBe('completed');
      const pnl = await shardColumn(q, (ok.returnvalue as { key: string }).key, 'pnl');
      const local = runBacktest({ horizon: 10, seed: 2, paths: 9, strategy: { policy: bytes } }).paths.pnl.subarray(5);
      expectSameBits(local, pnl, 'pnl of paths 5..8');
    } finally {
      await events.close();
      await q.close();
      await w.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('runStudyDistributed refuses bad input before touching Redis', () => {
  const connection = { host: '127.0.0.1', port: 1, lazyConnect: true };
  const config = { paths: 10, strategies: { SYM: 'sym' as const } };
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ['no connection', () => runStudyDistributed(config, {} as never), /connection must be ioredis options/],
    ['shardPaths 0', () => runStudyDistributed(config, { connection, shardPaths: 0 }), /shardPaths must be an integer in \[1, .*got 0/],
    ['shardPaths 2.5', () => runStudyDistributed(config, { connection, shardPaths: 2.5 }), /shardPaths must be an integer/],
    ['a queue name with a colon', () => runStudyDistributed(config, { connection, queueName: 'a:b' }), /queueName must be a non-empty string without ':', got "a:b"/],
    ['a bad study id', () => runStudyDistributed(config, { connection, studyId: 'x y' }), /studyId must be 1 to 128 letters.*got "x y"/],
    ['an unknown option', () => runStudyDistributed(config, { connection, shards: 3 } as never), /unknown option "shards"/],
    ['a callback strategy', () => runStudyDistributed({ paths: 10, strategies: { CB: () => null } }, { connection }), /callback strategy cannot run on a worker/],
    ['a bad config', () => runStudyDistributed({ ...config, paths: -1 }, { connection }), /paths must be an integer in \[1, .*got -1/],
    ['a bad signal', () => runStudyDistributed(config, { connection, signal: 'stop' as never }), /signal must be an AbortSignal, got "stop"/],
  ];
  for (const [what, run, message] of cases) {
    it(`refuses ${what} (ERR_INVALID_OPTION naming the field)`, async () => {
      await expect(run()).rejects.toMatchObject({ name: 'HawkgraphError', code: 'ERR_INVALID_OPTION', message: expect.stringMatching(message) });
    });
  }

  it('createWorker refuses bad options the same way', () => {
    expect(() => createWorker({ connection, concurrency: 0 })).toThrow(/concurrency must be an integer in \[1, 1024\], got 0/);
    expect(() => createWorker({ connection, policyDir: '/no/such/dir' })).toThrow(/policyDir "\/no\/such\/dir"/);
    expect(() => createWorker({ connection, lockDuration: 5 })).toThrow(/lockDuration must be an integer in \[100/);
    expect(() => createWorker({ connection, concurency: 2 } as never)).toThrow(/unknown worker option "concurency"/);
  });

  it('without bullmq installed: ERR_MISSING_DEPENDENCY with possible solutions', () => {
    const script = `
      const M = require('node:module');
      const resolve = M._resolveFilename;
      M._resolveFilename = function (r, ...rest) { if (r === 'bullmq') throw new Error("Cannot find module 'bullmq'"); return resolve.call(this, r, ...rest); };
      const h = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'index.js'))});
      h.runStudyDistributed({ paths: 10, strategies: { SYM: 'sym' } }, { connection: {} }).then(
        () => console.log('resolved'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    const out = JSON.parse(r.stdout);
    expect(out.code).toBe('ERR_MISSING_DEPENDENCY');
    expect(out.message).toMatch(/Possible solutions:\n- install it beside hawkgraph: npm install bullmq/);
  });
});
