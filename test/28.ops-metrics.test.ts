// registerMetrics (lib/ops/metrics.ts): a real node:http /metrics endpoint serving a prom-client
// registry, scraped with fetch() while an engine streams DepthModel books, parsed, and checked:
// every name, type and label set as docs/model-ops.md's table documents it; each value against a
// count made here from the events themselves (predictions by direction, the latency and compute
// histograms bucket by bucket, batch sizes, submitted / dropped / pending books, a shadow's
// predictions and books, the model info, a swap, the online scores, the drift); the types; and the
// refusals, prom-client missing included.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { DepthModel, createEngine, createScorer, exampleModelPath, registerMetrics } from '../dist/index.js';
import type { DroppedEvent, PredictionEvent, StreamStats } from '../dist/index.js';
import { snapshotBook } from './helpers/depth-books';
import { refused } from './helpers/errors';
import { modelPath } from './helpers/fixtures';
import { readSafetensors, writeSafetensors } from './helpers/safetensors';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

// The text exposition format, plainly: # HELP / # TYPE lines and `name{a="x",...} value` samples.
function parseExposition(text: string) {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      types.set(name, type);
    } else if (line.length > 0 && !line.startsWith('#')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`not an exposition line: ${line}`);
      const labels: Record<string, string> = {};
      for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
      samples.push({ name: m[1], labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
    }
  }
  return { types, samples };
}

// docs/model-ops.md's metrics table: name -> { type, labels }.
function documented(): Map<string, { type: string; labels: string[] }> {
  const doc = fs.readFileSync(path.join(__dirname, '..', 'docs', 'model-ops.md'), 'utf8');
  const out = new Map<string, { type: string; labels: string[] }>();
  for (const m of doc.matchAll(/^\| `(hawkgraph_[a-z_]+)` \| (counter|gauge|histogram) \|([^|]*)\|/gm)) {
    out.set(m[1], { type: m[2], labels: [...m[3].matchAll(/`([a-z_]+)`/g)].map((l) => l[1]).sort() });
  }
  return out;
}

async function serve(registry: Registry): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    if (req.url !== '/metrics') {
      res.statusCode = 404;
      res.end();
      return;
    }
    try {
      const text = await registry.metrics();
      res.setHeader('Content-Type', registry.contentType);
      res.end(text);
    } catch (err) {
      res.statusCode = 500;
      res.end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/metrics`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function scrape(url: string) {
  const res = await fetch(url);
  expect([res.status, res.status === 200 ? '' : await res.text()]).toEqual([200, '']);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length)?.value;

const BOUNDS = [5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 1];

function renamed(bytes: Uint8Array, name: string): Uint8Array {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hawkgraph-metrics-'));
  fs.writeFileSync(path.join(dir, 'm.safetensors'), bytes);
  const file = readSafetensors(path.join(dir, 'm.safetensors'));
  file.metadata = { ...file.metadata, name };
  return writeSafetensors(file);
}

describe('registerMetrics', () => {
  it('serves every documented metric on /metrics, each value as counted from the events', async () => {
    const sim = new DepthModel().simulate({ paths: 4, seed: 3, duration: 30, interval: 0.05, levels: 20 });
    const engine = createEngine({ model: exampleModelPath, backend: 'cpu', stream: { statsIntervalMs: 50, maxBatch: 16 } });
    const scorer = createScorer(engine, { tick: 0.01, horizon: { events: 2 }, intervalMs: 0 });
    const registry = new Registry();
    const metrics = registerMetrics(engine, registry, { prefix: 'bot_', scorer });
    const events: PredictionEvent[] = [];
    const drops: DroppedEvent[] = [];
    const batchSizes = new Map<number, number>();
    engine.on('prediction', (e) => events.push(e));
    engine.on('dropped', (d) => drops.push(d));
    engine.on('stats', (s: StreamStats) => s.batchSizes.forEach((c, n) => c > 0 && batchSizes.set(n, (batchSizes.get(n) ?? 0) + c)));
    await engine.addShadow(modelPath('pooled'), { name: 'cand' });
    const shadowEvents: PredictionEvent[] = [];
    engine.on('shadow', (e) => shadowEvents.push(e));
    const server = await serve(registry);
    try {
      // Bursts of two books of each of the four paths (four symbols), submitted at once, so
      // some supersede others.
      const perPath = sim.length / 4;
      // First, one book submitted 40 times over: all but the few the thread takes are superseded.
      for (let r = 0; r < 40; r++) engine.submit('S0', snapshotBook(sim, 0), { ts: sim.time[0] * 1000 });
      for (let k = 0; k < perPath; k += 2) {
        for (let j = k; j < Math.min(perPath, k + 2); j++) {
          for (let p = 0; p < 4; p++) {
            const i = p * perPath + j;
            engine.submit(`S${p}`, snapshotBook(sim, i), { ts: sim.time[i] * 1000 });
          }
        }
        // Paced by the stream, so the primary (and the shadow after it) predicts hundreds of books
        // however little CPU a loaded machine leaves its thread (CI once saw 54 without this).
        do await new Promise((resolve) => setImmediate(resolve)); while (engine.streamStats()!.pending > 0);
      }
      while (engine.streamStats()!.pending > 0 || engine.shadowStats()[0].pending > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      // One more stats event: every batch's size has been reported.
      await new Promise((resolve) => engine.once('stats', resolve));
      const stats = engine.streamStats()!;
      const { types, samples } = await scrape(server.url);

      // Names, types and labels as documented (drift: engine.featureDrift() rows, one per feature).
      const docs = documented();
      const served = new Map([...types].map(([name, type]) => [name.replace(/^bot_/, 'hawkgraph_'), type]));
      expect([...served.keys()].sort()).toEqual([...docs.keys()].sort());
      for (const [name, type] of served) expect([name, type]).toEqual([name, docs.get(name)!.type]);
      for (const s of samples) {
        const family = s.name.replace(/^bot_/, 'hawkgraph_').replace(/_(bucket|sum|count)$/, (m) => (docs.has(s.name.replace(/^bot_/, 'hawkgraph_')) ? m : ''));
        const labels = Object.keys(s.labels).filter((l) => l !== 'le').sort();
        expect([family, labels]).toEqual([family, docs.get(family)!.labels]);
      }

      // Predictions by direction, counted from the events.
      expect(events.length).toBe(stats.predicted);
      for (const d of ['down', 'flat', 'up']) {
        expect(value(samples, 'bot_predictions_total', { model: 'primary', direction: d })).toBe(events.filter((e) => e.direction === d).length);
      }
      // The shadow's predictions and books, as its events and engine.shadowStats() count them.
      const [shadow] = engine.shadowStats();
      expect(shadowEvents.length).toBe(shadow.predicted);
      expect(shadow.predicted).toBeGreaterThan(100);
      for (const d of ['down', 'flat', 'up']) {
        expect(value(samples, 'bot_predictions_total', { model: 'cand', direction: d })).toBe(shadowEvents.filter((e) => e.direction === d).length);
      }
      expect(value(samples, 'bot_prediction_latency_seconds_count', { model: 'cand' })).toBe(shadowEvents.length);
      expect(value(samples, 'bot_shadow_books_offered_total', { model: 'cand' })).toBe(shadow.offered);
      for (const reason of ['queueFull', 'closed', 'error'] as const) {
        expect(value(samples, 'bot_shadow_books_dropped_total', { model: 'cand', reason })).toBe(shadow.dropped[reason]);
      }
      // The latency and compute histograms, bucket by bucket (le is inclusive).
      for (const [name, field] of [['bot_prediction_latency_seconds', 'latencyNs'], ['bot_compute_seconds', 'computeNs']] as const) {
        for (const b of BOUNDS) {
          expect(value(samples, `${name}_bucket`, { model: 'primary', le: String(b) })).toBe(events.filter((e) => e[field] <= b * 1e9).length);
        }
        expect(value(samples, `${name}_bucket`, { model: 'primary', le: '+Inf' })).toBe(events.length);
        expect(value(samples, `${name}_count`, { model: 'primary' })).toBe(events.length);
        const sum = events.reduce((a, e) => a + e[field], 0) / 1e9;
        expect(value(samples, `${name}_sum`, { model: 'primary' })!).toBeCloseTo(sum, 9);
      }
      // Batch sizes from the stats events; they add up to the books predicted.
      const batches = [...batchSizes.values()].reduce((a, c) => a + c, 0);
      expect(value(samples, 'bot_batch_size_count')).toBe(batches);
      expect(value(samples, 'bot_batch_size_sum')).toBe(events.length);
      expect(value(samples, 'bot_batch_size_bucket', { le: '1' })).toBe(batchSizes.get(1) ?? 0);
      expect(value(samples, 'bot_batch_size_bucket', { le: '16' })).toBe(batches);
      // The stream's books: submitted = predicted + dropped + pending.
      expect(value(samples, 'bot_books_submitted_total')).toBe(stats.submitted);
      expect(drops.length).toBeGreaterThan(0);
      for (const reason of ['superseded', 'closed', 'error']) {
        expect(value(samples, 'bot_books_dropped_total', { reason })).toBe(drops.filter((d) => d.reason === reason).length);
      }
      expect(value(samples, 'bot_books_pending')).toBe(0);
      expect(stats.submitted).toBe(events.length + drops.length);
      const info = samples.filter((s) => s.name === 'bot_model_info');
      const common = { levels: '20', precision: engine.info.precision, backend: 'cpu' };
      expect(info).toEqual([
        { name: 'bot_model_info', value: 1, labels: { model: 'primary', model_id: engine.info.modelId, model_name: engine.info.modelName ?? '', ...common } },
        { name: 'bot_model_info', value: 1, labels: { model: 'cand', model_id: shadow.modelId, model_name: shadow.modelName ?? '', ...common } },
      ]);
      expect(value(samples, 'bot_model_swaps_total', { model: 'primary' })).toBe(0);
      expect(value(samples, 'bot_model_swaps_total', { model: 'B' })).toBe(0);
      expect(value(samples, 'bot_cuda_fallbacks_total')).toBe(0);
      // The online scores are the scorer's.
      const [m] = scorer.modelReport().models;
      expect(m.sinceStart.predictions).toBeGreaterThan(50);
      const at = (window: string) => ({ model: 'primary', model_id: m.modelId, window });
      expect(value(samples, 'bot_online_accuracy_ratio', at('since_start'))).toBeCloseTo(m.sinceStart.accuracy, 12);
      expect(value(samples, 'bot_online_log_loss', at('sliding'))).toBeCloseTo(m.window.logLoss, 12);
      expect(value(samples, 'bot_online_brier_score', at('since_start'))).toBeCloseTo(m.sinceStart.brier, 12);
      expect(value(samples, 'bot_online_scored_total', { model: 'primary', model_id: m.modelId })).toBe(m.sinceStart.predictions);

      // Drift: engine.featureDrift()'s rows, one series per node feature.
      const drift = engine.featureDrift()!;
      expect(drift.length).toBeGreaterThan(0);
      for (const d of drift) {
        expect(value(samples, 'bot_feature_drift_psi', { feature: d.feature })).toBeCloseTo(d.psi, 12);
        expect(value(samples, 'bot_feature_drift_ks', { feature: d.feature })).toBeCloseTo(d.ks, 12);
      }

      // Every swap counts, a swap and its reversal between two scrapes too; the model info shows the one answering.
      const original = engine.info.modelId;
      await engine.swapModel(renamed(new Uint8Array(fs.readFileSync(exampleModelPath)), 'away'));
      await engine.swapModel(exampleModelPath);
      expect(engine.info.modelId).toBe(original);
      const swapped = await engine.swapModel(renamed(new Uint8Array(fs.readFileSync(exampleModelPath)), 'second'));
      const after = (await scrape(server.url)).samples;
      expect(value(after, 'bot_model_swaps_total', { model: 'primary' })).toBe(3);
      expect(value(after, 'bot_model_swaps_total', { model: 'B' })).toBe(0);
      expect(engine.modelSwaps).toEqual({ primary: 3, B: 0 });
      expect(after.find((s) => s.name === 'bot_model_info')!.labels).toMatchObject({ model_id: swapped.modelId, model_name: 'second' });

      // close() removes the metrics and stops counting.
      metrics.close();
      metrics.close();
      expect((await scrape(server.url)).samples.filter((s) => s.name.startsWith('bot_'))).toEqual([]);
      expect(engine.listenerCount('prediction')).toBe(2); // this test's and the scorer's
    } finally {
      await server.close();
      scorer.close();
      await engine.close();
    }
  });

  it('types compile as test/types/model-ops.ts expects (a prom-client Registry is a registry; the events are typed)', () => {
    const tsc = path.join(__dirname, '..', 'node_modules', 'typescript', 'bin', 'tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', path.join(__dirname, 'types', 'tsconfig.ops.json')], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err);
    }
    expect(output).toBe('');
  });

  it('refuses a registry that is not one, bad options, and says how to install prom-client when it is missing', () => {
    const engine = createEngine({ model: exampleModelPath, backend: 'cpu' });
    const registry = new Registry();
    refused(() => registerMetrics(engine, {} as never), 'ERR_INVALID_ARGUMENT', /registry must be a prom-client Registry/);
    refused(() => registerMetrics(engine, registry, { prefix: 'bad-prefix' }), 'ERR_INVALID_OPTION', /prefix must match .*got "bad-prefix"/);
    refused(() => registerMetrics(engine, registry, { latencyBuckets: [1, 0.5] }), 'ERR_INVALID_OPTION', /latencyBuckets\[1\] .*got 0\.5/);
    refused(() => registerMetrics(engine, registry, { latencyBuckets: [] }), 'ERR_INVALID_OPTION', /latencyBuckets must be 1 to 64/);
    refused(() => registerMetrics(engine, registry, { prefx: 'x' } as never), 'ERR_INVALID_OPTION', /unknown registerMetrics option "prefx"/);
    refused(() => registerMetrics(engine, registry, { drift: 'yes' } as never), 'ERR_INVALID_OPTION', /drift must be a boolean/);
    expect(registry.getMetricsAsArray()).toEqual([]);
    // Twice on one registry: refused, and the second call leaves nothing behind.
    const first = registerMetrics(engine, registry);
    const before = registry.getMetricsAsArray().length;
    refused(() => registerMetrics(engine, registry), 'ERR_INVALID_ARGUMENT', /registry refused metric hawkgraph_predictions_total .*already been registered/);
    expect(registry.getMetricsAsArray().length).toBe(before);
    expect(engine.listenerCount('prediction')).toBe(1);
    // Another prefix is another set of names; a registry without prom-client's duplicate check
    // refusing midway leaves nothing either.
    registerMetrics(engine, registry, { prefix: 'second_' }).close();
    let calls = 0;
    const flaky = { registerMetric: () => { if (++calls === 5) throw new Error('full'); }, removeSingleMetric: () => calls-- };
    refused(() => registerMetrics(engine, flaky), 'ERR_INVALID_ARGUMENT', /registry refused metric .*full/);
    expect(calls).toBe(1);
    expect(engine.listenerCount('prediction')).toBe(1);
    first.close();
    refused(() => registerMetrics('engine' as never, registry), 'ERR_INVALID_ARGUMENT', /registerMetrics's engine must be an engine from createEngine\(\), got "engine"/);
    engine.close();
    refused(() => registerMetrics(engine, registry), 'ERR_ENGINE_CLOSED', /registerMetrics: the engine is closed/);

    // prom-client not resolvable: a child process whose resolver refuses it.
    const dist = path.join(__dirname, '..', 'dist', 'index.js');
    const script = `
      const Module = require('node:module');
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (request === 'prom-client') { const e = new Error("Cannot find module 'prom-client'"); e.code = 'MODULE_NOT_FOUND'; throw e; }
        return resolve.call(this, request, ...rest);
      };
      const hg = require(${JSON.stringify(dist)});
      const engine = hg.createEngine({ model: hg.exampleModelPath, backend: 'cpu' });
      try { hg.registerMetrics(engine, { registerMetric() {}, removeSingleMetric() {} }); console.log('accepted'); }
      catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }
      engine.close();`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
    expect(out.name).toBe('HawkgraphError');
    expect(out.code).toBe('ERR_MISSING_DEPENDENCY');
    expect(out.message).toMatch(/prom-client, which is not installed\. Possible solutions:\n- install it beside hawkgraph: npm install prom-client/);
  });
});
