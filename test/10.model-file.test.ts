import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { HawkgraphError, createEngine } from '../dist/index.js';
import { loadCases, maxAbsDiff, modelPath } from './helpers/fixtures';
import { randomBook, randomModel, referenceFeatures, referenceForward, toSafetensors } from './helpers/reference-model';
import { SafetensorsFile, assemble, cloneFile, f32, readSafetensors, writeSafetensors } from './helpers/safetensors';

const original = readSafetensors(modelPath('pooled'));
const goodCase = loadCases('pooled')[0];
const goodBook = { bids: goodCase.bids, asks: goodCase.asks };

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HawkgraphError);
    return (e as HawkgraphError).code;
  }
  throw new Error('expected a HawkgraphError');
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

function mutated(edit: (f: SafetensorsFile) => void): Uint8Array {
  const f = cloneFile(original);
  edit(f);
  return writeSafetensors(f);
}

function withHeader(edit: (h: any) => any): Uint8Array {
  return writeSafetensors(cloneFile(original), edit);
}

const rawHeader = (text: string, dataBytes = 0) => assemble(Buffer.from(text), [new Uint8Array(dataBytes)]);
const lengthPrefix = (len: bigint, rest: Uint8Array) => {
  const out = new Uint8Array(8 + rest.length);
  new DataView(out.buffer).setBigUint64(0, len, true);
  out.set(rest, 8);
  return out;
};

describe('corrupt and hostile model files are refused with a coded error', () => {
  const survivor = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
  const before = survivor.predict(goodBook);
  afterAll(() => survivor.close());

  const cases: Array<[string, () => Uint8Array | string, string, RegExp?]> = [
    ['a 0-byte file', () => new Uint8Array(0), 'ERR_MODEL_HEADER', /0 bytes/],
    ['a 7-byte file', () => new Uint8Array(7), 'ERR_MODEL_HEADER'],
    ['a header length past the end of the file', () => lengthPrefix(1000n, new Uint8Array(10)), 'ERR_MODEL_HEADER', /past the end/],
    ['a header length of 2^63', () => lengthPrefix(1n << 63n, new Uint8Array(10)), 'ERR_MODEL_HEADER'],
    ['a header that is not JSON', () => rawHeader('{"a": tru'), 'ERR_MODEL_HEADER', /not valid JSON/],
    ['a header that is a JSON array', () => rawHeader('[1,2,3]'), 'ERR_MODEL_HEADER'],
    ['a header nested 10000 deep', () => rawHeader('['.repeat(10000) + ']'.repeat(10000)), 'ERR_MODEL_HEADER', /nesting/],
    ['duplicate keys in the header', () => rawHeader('{"a":"1","a":"2"}'), 'ERR_MODEL_HEADER', /duplicate/],
    ['64 MiB of random garbage', () => Uint8Array.from({ length: 64 << 20 }, (_, i) => (i * 2654435761) >>> 24), 'ERR_MODEL_HEADER'],
    ['a missing tensor', () => mutated((f) => f.tensors.delete('conv2.lin_r.weight')), 'ERR_MODEL_TENSOR_MISSING', /conv2\.lin_r\.weight/],
    ['an extra tensor', () => mutated((f) => f.tensors.set('backdoor.weight', f32([1, 2], [2]))), 'ERR_MODEL_TENSOR_UNEXPECTED', /backdoor\.weight/],
    ['a float64 weight', () => mutated((f) => {
      const t = f.tensors.get('norm.bias')!;
      f.tensors.set('norm.bias', { dtype: 'F64', shape: t.shape, data: new Uint8Array(new Float64Array(t.shape[0]).buffer) });
    }), 'ERR_MODEL_DTYPE', /norm\.bias.*F32.*F64/],
    ['an unknown dtype', () => withHeader((h) => ({ ...h, 'norm.bias': { ...h['norm.bias'], dtype: 'Q4' } })), 'ERR_MODEL_DTYPE', /Q4/],
    ['a wrong shape', () => mutated((f) => {
      const t = f.tensors.get('conv1.lin_l.weight')!;
      f.tensors.set('conv1.lin_l.weight', { ...t, shape: [64, 16] });
    }), 'ERR_MODEL_SHAPE', /conv1\.lin_l\.weight.*\[128, 8\].*\[64, 16\]/],
    ['offsets past the end of the data', () => withHeader((h) => ({ ...h, 'norm.bias': { ...h['norm.bias'], data_offsets: [10_000_000, 10_000_256] } })), 'ERR_MODEL_OFFSETS', /norm\.bias/],
    ['offsets whose span disagrees with the shape', () => withHeader((h) => {
      const [b] = h['norm.bias'].data_offsets;
      return { ...h, 'norm.bias': { ...h['norm.bias'], data_offsets: [b, b + 8] } };
    }), 'ERR_MODEL_OFFSETS'],
    ['overlapping tensors', () => withHeader((h) => ({ ...h, 'norm.bias': { ...h['norm.bias'], data_offsets: [...h['norm.weight'].data_offsets] } })), 'ERR_MODEL_OFFSETS', /overlap/],
    ['negative offsets', () => withHeader((h) => ({ ...h, 'norm.bias': { ...h['norm.bias'], data_offsets: [-256, 0] } })), 'ERR_MODEL_HEADER'],
    ['a NaN weight', () => mutated((f) => {
      const t = f.tensors.get('conv2.lin_l.weight')!;
      new DataView(t.data.buffer, t.data.byteOffset).setFloat32(4 * 77, NaN, true);
    }), 'ERR_MODEL_NONFINITE', /conv2\.lin_l\.weight" element 77 is NaN/],
    ['an infinite bias', () => mutated((f) => {
      const t = f.tensors.get('direction_head.bias')!;
      new DataView(t.data.buffer, t.data.byteOffset).setFloat32(0, -Infinity, true);
    }), 'ERR_MODEL_NONFINITE', /-Infinity/],
    ['no metadata', () => withHeader((h) => { const { __metadata__, ...rest } = h; return rest; }), 'ERR_MODEL_METADATA', /format/],
    ['another format', () => mutated((f) => { f.metadata.format = 'llama'; }), 'ERR_MODEL_METADATA', /llama/],
    ['an unknown attention mode', () => mutated((f) => { f.metadata.attention = 'global'; }), 'ERR_MODEL_METADATA', /global/],
    ['hidden disagreeing with the tensors', () => mutated((f) => { f.metadata.hidden = '256'; }), 'ERR_MODEL_SHAPE'],
    ['heads that do not divide the embedding', () => mutated((f) => { f.metadata.heads = '3'; }), 'ERR_MODEL_METADATA', /heads/],
    ['a non-numeric levels', () => mutated((f) => { f.metadata.levels = '20x'; }), 'ERR_MODEL_METADATA', /levels/],
    ['absurd levels', () => mutated((f) => { f.metadata.levels = '999999999'; }), 'ERR_MODEL_METADATA', /levels/],
    ['an edge to a node outside the graph', () => mutated((f) => {
      const t = f.tensors.get('edge_index')!;
      new DataView(t.data.buffer, t.data.byteOffset).setBigInt64(8 * 5, 40n, true);
    }), 'ERR_MODEL_TOPOLOGY', /outside \[0, 40\)/],
    ['a negative edge index', () => mutated((f) => {
      const t = f.tensors.get('edge_index')!;
      new DataView(t.data.buffer, t.data.byteOffset).setBigInt64(0, -1n, true);
    }), 'ERR_MODEL_TOPOLOGY'],
    ['an int32 edge_index', () => mutated((f) => {
      const t = f.tensors.get('edge_index')!;
      f.tensors.set('edge_index', { dtype: 'I32', shape: t.shape, data: new Uint8Array(t.data.length / 2) });
    }), 'ERR_MODEL_DTYPE', /edge_index/],
  ];

  it.each(cases)('refuses %s', (_name, make, code, message) => {
    const model = make();
    expect(codeOf(() => createEngine({ model }))).toBe(code);
    if (message) expect(messageOf(() => createEngine({ model }))).toMatch(message);
    expect(survivor.predict(goodBook)).toEqual(before);
  });

  it('refuses a missing path, a directory and a non-model argument', () => {
    expect(codeOf(() => createEngine({ model: '/nonexistent/model.safetensors' }))).toBe('ERR_MODEL_READ');
    expect(codeOf(() => createEngine({ model: os.tmpdir() }))).toBe('ERR_MODEL_READ');
    expect(codeOf(() => createEngine({ model: 42 as never }))).toBe('ERR_INVALID_OPTION');
  });

  it('loads a file written back unchanged (the helpers are faithful)', () => {
    const e = createEngine({ model: writeSafetensors(cloneFile(original)), backend: 'cpu' });
    // The same model in other bytes (the header serialised anew): the same values, another modelId.
    const p = e.predict(goodBook);
    expect(p.modelId).not.toBe(before.modelId);
    expect({ ...p, modelId: before.modelId }).toEqual(before);
    e.close();
  });

  it('loads from a path and from bytes identically', () => {
    const e = createEngine({ model: fs.readFileSync(modelPath('pooled')), backend: 'cpu' });
    expect(e.predict(goodBook)).toEqual(before);
    e.close();
  });
});

describe('models of other sizes match an independent float64 implementation', () => {
  const shapes: Array<[number, number, number, 'pooled' | 'levels']> = [
    [5, 16, 2, 'pooled'],
    [5, 16, 2, 'levels'],
    [3, 24, 3, 'levels'],
    [12, 32, 1, 'pooled'],
    [1, 8, 4, 'levels'],
  ];
  it.each(shapes)('levels %i, hidden %i, heads %i, %s attention', (levels, hidden, heads, attention) => {
    const ref = randomModel(levels, hidden, heads, attention, levels * 1000 + hidden);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hawkgraph-'));
    const file = path.join(dir, 'model.safetensors');
    fs.writeFileSync(file, writeSafetensors(toSafetensors(ref)));
    const engine = createEngine({ model: file, backend: 'cpu' });
    expect(engine.info).toMatchObject({ levels, hidden, heads, embed: hidden / 2, attention });
    for (let s = 0; s < 8; s++) {
      // Full depth, deeper than the model, and shallower than the model on either side.
      const depthB = [levels, levels + 3, Math.max(1, levels - 2), 1][s % 4];
      const depthA = [levels, levels + 1, levels, Math.max(1, levels - 1)][s % 4];
      const book = randomBook(depthB, depthA, 100 + s);
      const expected = referenceForward(ref, referenceFeatures(book.bids, book.asks, levels));
      const p = engine.predict(book, { embedding: true });
      expect(p.levelsUsed).toBe(Math.min(levels, depthB, depthA));
      expect(maxAbsDiff(p.logits, expected.logits)).toBeLessThan(1e-4);
      expect(Math.abs(p.magnitude - expected.magnitude)).toBeLessThan(1e-4);
      expect(Math.abs(p.volatility - expected.volatility)).toBeLessThan(1e-4);
      expect(maxAbsDiff(p.embedding!, expected.embedding)).toBeLessThan(1e-4);
    }
    engine.close();
    fs.rmSync(dir, { recursive: true });
  });
});
