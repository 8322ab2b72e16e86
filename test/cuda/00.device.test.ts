// GPU smoke test: runs only where a CUDA device is present; elsewhere it is skipped with the
// reason printed (CI and the build machines have nvcc but no GPU).
import { describe, expect, it } from 'vitest';

import { runtime } from '../../dist/index.js';
import { native } from '../../dist/internal.js';

const cuda = runtime().cuda;
const reason = !cuda.compiled ? 'CUDA support not compiled in' : cuda.devices.length === 0 ? `no CUDA device (${cuda.status})` : '';
if (reason) console.log(`skipping CUDA device tests: ${reason}`);

describe.skipIf(reason !== '')('CUDA device', () => {
  it('lists the device with its compute capability', () => {
    expect(cuda.devices[0].computeCapability).toMatch(/^\d+\.\d+$/);
    expect(cuda.devices[0].totalMemory).toBeGreaterThan(1 << 30);
  });

  it('runs a kernel: y = a x + y on the device equals the host computation', () => {
    const n = 100_003;
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const y = Float32Array.from({ length: n }, (_, i) => Math.cos(i));
    const expected = y.map((v, i) => Math.fround(Math.fround(2.5 * x[i]) + v));
    native().addon.cudaAxpy(2.5, x, y);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(y[i] - expected[i]));
    expect(worst).toBeLessThan(1e-6);
  });
});

describe.skipIf(reason === '' || !cuda.compiled)('CUDA compiled in, no device', () => {
  it('reports the device error instead of crashing when a kernel is asked for', () => {
    expect(() => native().addon.cudaAxpy(1, new Float32Array(4), new Float32Array(4))).toThrowError(
      expect.objectContaining({ code: 'ERR_CUDA' }),
    );
  });
});
