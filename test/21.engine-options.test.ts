// createEngine's options as a union by backend: cpu: { threads, kernels, folds } and
// cuda: { fallback, onFallback, singleBook, hostThreads }, refused on the wrong backend; the 0.1
// flat fields mapped onto the same shape (one mapping); and the type-level checks (tsc).
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { HawkgraphError, createEngine, runtime } from '../dist/index.js';
import { resolveEngineOptions } from '../dist/internal.js';
import { modelPath } from './helpers/fixtures';

const model = modelPath('pooled');

function refused(fn: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(HawkgraphError);
  expect((caught as HawkgraphError).code).toBe('ERR_INVALID_OPTION');
  expect((caught as HawkgraphError).message).toMatch(pattern);
}

describe('the backend-shaped options', () => {
  it('run a CPU engine with cpu: { threads, kernels, folds }', () => {
    const e = createEngine({ model, backend: 'cpu', cpu: { threads: 2, kernels: 'portable', folds: false } });
    try {
      expect(e.info).toMatchObject({ backend: 'cpu', threads: 2, kernels: 'portable', precision: 'fp32' });
      expect(resolveEngineOptions({ model, backend: 'cpu', cpu: { folds: false } }).native.folds).toBe(false);
    } finally {
      e.close();
    }
  });

  it('give the same predictions as the flat fields they replace', () => {
    const flat = createEngine({ model, backend: 'cpu', threads: 2, kernels: 'portable' });
    const shaped = createEngine({ model, backend: 'cpu', cpu: { threads: 2, kernels: 'portable' } });
    try {
      const book = { bids: [[100, 1], [99.9, 3]], asks: [[100.1, 2], [100.2, 1]] };
      expect(shaped.predict(book)).toEqual(flat.predict(book));
      expect({ ...shaped.info, binary: undefined }).toEqual({ ...flat.info, binary: undefined });
    } finally {
      flat.close();
      shaped.close();
    }
  });

  it('map onto the one native record: the chosen backend takes its own thread count', () => {
    expect(resolveEngineOptions({ model, backend: 'cpu', cpu: { threads: 3 } }).native).toMatchObject({ threads: 3, fallback: 'none', singleBook: 'auto' });
    expect(resolveEngineOptions({ model, backend: 'cuda', cuda: { hostThreads: 4, singleBook: 'graph' } }).native).toMatchObject({ threads: 4, singleBook: 'graph' });
    expect(resolveEngineOptions({ model, cpu: { threads: 2 }, cuda: { fallback: 'cpu' } }).native).toMatchObject({ threads: 2, fallback: 'cpu' });
    expect(resolveEngineOptions({ model, backend: 'cuda', threads: 5, fallback: 'cpu' }).native).toMatchObject({ threads: 5, fallback: 'cpu' });
    const hook = () => {};
    expect(resolveEngineOptions({ model, backend: 'cuda', cuda: { onFallback: hook } }).onFallback).toBe(hook);
    expect(resolveEngineOptions({ model, onFallback: hook }).onFallback).toBe(hook);
  });

  it('refuse options of the other backend, mixed forms and unknown fields with ERR_INVALID_OPTION', () => {
    refused(() => createEngine({ model, backend: 'cpu', cuda: { fallback: 'cpu' } } as never), /cuda options apply to backend 'cuda' or 'auto', not 'cpu'/);
    refused(() => createEngine({ model, backend: 'cuda', cpu: { threads: 2 } } as never), /cpu options apply to backend 'cpu' or 'auto', not 'cuda'/);
    refused(() => createEngine({ model, backend: 'cpu', cpu: { threads: 2 }, kernels: 'avx2' } as never), /"kernels" is the deprecated flat form/);
    refused(() => createEngine({ model, backend: 'cpu', cpu: { hostThreads: 2 } } as never), /unknown cpu option "hostThreads"/);
    refused(() => createEngine({ model, backend: 'cuda', cuda: { threads: 2 } } as never), /unknown cuda option "threads"/);
    refused(() => createEngine({ model, backend: 'cpu', cpu: 'fast' } as never), /cpu must be an options object, got "fast"/);
    refused(() => createEngine({ model, backend: 'cpu', cpu: { threads: 0 } }), /cpu.threads must be an integer from 1 to 256, got 0/);
    refused(() => createEngine({ model, backend: 'cpu', cpu: { kernels: 'neon' as never } }), /cpu.kernels must be/);
    refused(() => createEngine({ model, backend: 'cpu', cpu: { folds: 1 as never } }), /cpu.folds must be a boolean/);
    refused(() => createEngine({ model, backend: 'cuda', cuda: { fallback: 'gpu' as never } }), /cuda.fallback must be 'none' or 'cpu'/);
    refused(() => createEngine({ model, backend: 'cuda', cuda: { singleBook: 'fast' as never } }), /cuda.singleBook must be/);
    refused(() => createEngine({ model, backend: 'cuda', cuda: { onFallback: 1 as never } }), /cuda.onFallback must be a function/);
    refused(() => createEngine({ model, backend: 'cuda', cuda: { hostThreads: 1000 } }), /cuda.hostThreads must be an integer from 1 to 256/);
    refused(() => createEngine({ model, cpu: { threads: 2 }, cuda: { hostThreads: 3 } }), /cpu.threads \(2\) and cuda.hostThreads \(3\) must be equal/);
  });

  it('read the cpu and cuda objects once: a throwing getter is ERR_INVALID_OPTION', () => {
    const cpu = Object.defineProperty({}, 'threads', { enumerable: true, get: () => { throw new Error('boom'); } });
    refused(() => createEngine({ model, backend: 'cpu', cpu }), /engine options could not be read: boom/);
  });

  const cuda = runtime().cuda;
  it.skipIf(cuda.compiled && cuda.devices.length > 0)("'cuda' with cuda.fallback 'cpu' runs on the CPU where no device is usable, saying why", () => {
    const e = createEngine({ model, backend: 'cuda', cuda: { fallback: 'cpu' } });
    try {
      expect(e.info.backend).toBe('cpu');
      expect(e.info.fallbackReason).toMatch(/unavailable/);
    } finally {
      e.close();
    }
  });
});

describe('the option types', () => {
  it('compile as test/types/engine-options.ts expects (each @ts-expect-error an error, the rest clean)', () => {
    const tsc = path.join(__dirname, '..', 'node_modules', 'typescript', 'bin', 'tsc');
    const project = path.join(__dirname, 'types', 'tsconfig.json');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err);
    }
    expect(output).toBe('');
  });
});
