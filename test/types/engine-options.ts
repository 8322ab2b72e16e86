// Compiled by tsc (test/21.engine-options.test.ts runs it, noEmit): each @ts-expect-error line must
// be an error (tsc fails on an unused one) and every other line must compile.
import { createEngine, type EngineInfo, type EngineOptions } from '../../dist/index.js';

const model = 'model.safetensors';

// The backend-shaped options.
createEngine({ model, backend: 'cpu', cpu: { threads: 2, kernels: 'avx2', folds: false }, precision: 'bf16' });
createEngine({ model, backend: 'cuda', cuda: { fallback: 'cpu', onFallback: (e) => e.reason.length, singleBook: 'graph', hostThreads: 2 }, precision: 'fp16' });
createEngine({ model, backend: 'auto', cpu: { threads: 2 }, cuda: { fallback: 'cpu' } });
createEngine({ model, cpu: { kernels: 'portable' } });
createEngine({ model, backend: 'cpu' });

// The 0.1 flat fields still compile (deprecated).
createEngine({ model, backend: 'cpu', threads: 2, kernels: 'avx512', folds: true });
createEngine({ model, backend: 'cuda', fallback: 'cpu', singleBook: 'persistent', threads: 4 });
createEngine({ model, threads: 2, onFallback: () => {} });

// CUDA options on a CPU engine, and CPU options on a CUDA one.
// @ts-expect-error cuda options are not a CPU engine's
createEngine({ model, backend: 'cpu', cuda: { fallback: 'cpu' } });
// @ts-expect-error cpu options are not a CUDA engine's
createEngine({ model, backend: 'cuda', cpu: { threads: 2 } });
// @ts-expect-error bf16 is a CPU-only precision
createEngine({ model, backend: 'cuda', cuda: {}, precision: 'bf16' });
// @ts-expect-error the two forms do not mix
createEngine({ model, backend: 'cpu', cpu: { threads: 2 }, fallback: 'cpu' });
// @ts-expect-error unknown CPU option
createEngine({ model, backend: 'cpu', cpu: { hostThreads: 2 } });
// @ts-expect-error unknown CUDA option
createEngine({ model, backend: 'cuda', cuda: { kernels: 'avx2' } });
// @ts-expect-error no such backend
createEngine({ model, backend: 'tpu' });

// A CPU engine's options narrowed by backend.
function cpuThreads(o: EngineOptions): number | undefined {
  if (o.backend === 'cpu' && o.cpu !== undefined) return o.cpu.threads;
  return undefined;
}
cpuThreads({ model, backend: 'cpu', cpu: { threads: 1 } });

// info.backend names the host twin too (engines from hawkgraph/internal).
const backend: EngineInfo['backend'] = 'cuda-host-twin';
void backend;

// Several models on one stream: the split, shadows, drift; events name their slot.
const split = createEngine({ model, stream: { split: { B: 0.1 }, drift: { windowBooks: 5000 } } });
void split.swapModel(model, { slot: 'B' });
// @ts-expect-error the split has one other slot, B
createEngine({ model, stream: { split: { C: 0.1 } } });
// @ts-expect-error a shadow needs a name
void split.addShadow(model, {});
split.on('shadow', (e) => {
  const slot: string = e.model;
  const mid: number = e.mid;
  void [slot, mid];
});
createEngine({ model, stream: { drift: false } });
