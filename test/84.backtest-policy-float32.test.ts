// A policy network runs in float32, so its file is checked there: metadata numbers and F64 weights
// beyond float32's range, and an input_std that rounds to 0 in float32, are refused with ERR_POLICY
// naming the key or tensor. Found writing fuzz/harness/policy_loader.cpp, whose float32 invariants
// fail on such files (random mutation had not reached one in 5 million runs): they were accepted
// (the checks were on the double values) and ran with infinite normalisation or scales, or divided
// every input by zero, so the policy quoted nothing or garbage without a word.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

import { runBacktest } from '../dist/index.js';
import { refused } from './helpers/errors';
import { policyFile } from './helpers/policy';
import { readSafetensors, writeSafetensors } from './helpers/safetensors';

const base = { paths: 4, horizon: 5, seed: 3, threads: 1 };
const run = (policy: Uint8Array) => runBacktest({ ...base, strategy: { policy } });

function withF64Weight(value: number): Uint8Array {
  // Through a file, since the helper writes F64 tensors from float32 values only.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hawkgraph-policy-'));
  const file = path.join(dir, 'p.safetensors');
  fs.writeFileSync(file, policyFile({ hidden: [4], dtype: 'F64' }));
  const f = readSafetensors(file);
  fs.rmSync(dir, { recursive: true });
  const t = f.tensors.get('layers.1.weight')!;
  new DataView(t.data.buffer, t.data.byteOffset).setFloat64(8 * 3, value, true);
  return writeSafetensors(f);
}

describe('policy files are checked in float32, the precision the network runs in', () => {
  it.each([
    ['input_std 1e-50 (0 in float32)', { input_std: '[1e-50, 2, 10]' }, /metadata "input_std" entries must be > 0 in float32.*got 1e-50 at index 0, which rounds to 0/],
    ['input_std 1e-46 (0 in float32)', { input_std: '[5, 2, 1e-46]' }, /input_std" entries must be > 0 in float32.*at index 2/],
    ['input_mean 1e39', { input_mean: '[0, 1e39, 0]' }, /metadata "input_mean" has an entry beyond the float32 range the network runs in: \[0, 1e39, 0\]/],
    ['input_std 3.5e38', { input_std: '[3.5e38, 2, 10]' }, /metadata "input_std" has an entry beyond the float32 range/],
    ['output_scale -1e300', { output_scale: '[2, -1e300]' }, /metadata "output_scale" has an entry beyond the float32 range/],
    ['output_offset 1e300', { output_offset: '[1e300, 2]' }, /metadata "output_offset" has an entry beyond the float32 range/],
  ])('refuses %s', (_name, metadata, pattern) => {
    refused(() => run(policyFile({ hidden: [4], metadata })), 'ERR_POLICY', pattern);
  });

  it('refuses an F64 weight beyond float32, naming the tensor', () => {
    refused(() => run(withF64Weight(1e300)), 'ERR_POLICY', /tensor "layers.1.weight" has a value beyond the float32 range the network runs in: 1e\+300/);
    refused(() => run(withF64Weight(-3.5e38)), 'ERR_POLICY', /layers.1.weight" has a value beyond the float32 range/);
  });

  it('still accepts the edges float32 holds: the largest float, the smallest positive std', () => {
    const edges = policyFile({ hidden: [4], metadata: { input_mean: '[0, 3.4028234663852886e38, 0]', input_std: '[1.401298464324817e-45, 2, 10]', output_scale: '[-3.4e38, 2]' } });
    expect(run(edges).paths.pnl).toHaveLength(4);
    expect(run(withF64Weight(3.4028234663852886e38)).paths.pnl).toHaveLength(4);
    expect(run(withF64Weight(1e-300)).paths.pnl).toHaveLength(4);
  });
});
