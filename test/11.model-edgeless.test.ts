/**
 * A model whose edge_index is [2, 0] (no edges) is refused with ERR_MODEL_TOPOLOGY naming the
 * tensor and its shape. Found by fuzz/harness/model_loader.cpp: the loader copied the empty
 * tensor with memcpy into a null destination (undefined behaviour) and then accepted a graph the
 * format never describes (its graph is fixed: bid_i <-> ask_i and j <-> j + 2, never empty).
 * A sparse but non-empty graph stays a valid model: the refusal is "no edges", nothing more.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { createEngine } from '../dist/index.js';
import { loadCases, maxAbsDiff, modelPath } from './helpers/fixtures';
import { randomBook, randomModel, referenceFeatures, referenceForward, toSafetensors } from './helpers/reference-model';
import { SafetensorsFile, cloneFile, readSafetensors, writeSafetensors } from './helpers/safetensors';
import { refusal } from './helpers/errors';


function withoutEdges(file: SafetensorsFile): Uint8Array {
  const f = cloneFile(file);
  f.tensors.set('edge_index', { dtype: 'I64', shape: [2, 0], data: new Uint8Array(0) });
  return writeSafetensors(f);
}

const edgelessMessage = /tensor "edge_index" has shape \[2, 0\].*at least one edge/;

describe('a model with no edges is refused', () => {
  const goodCase = loadCases('pooled')[0];
  const goodBook = { bids: goodCase.bids, asks: goodCase.asks };
  const survivor = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
  const before = survivor.predict(goodBook);
  afterAll(() => survivor.close());

  it.each(['pooled', 'levels'] as const)('the %s fixture with edge_index [2, 0], from bytes and from a path', (mode) => {
    const model = withoutEdges(readSafetensors(modelPath(mode)));
    for (const backend of ['cpu', 'auto'] as const) {
      const e = refusal(() => createEngine({ model, backend }));
      expect(e.code).toBe('ERR_MODEL_TOPOLOGY');
      expect(e.message).toMatch(edgelessMessage);
      expect(e.message).toContain('40 nodes');
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hawkgraph-edgeless-'));
    const file = path.join(dir, 'model.safetensors');
    fs.writeFileSync(file, model);
    const e = refusal(() => createEngine({ model: file, backend: 'cpu' }));
    expect(e.code).toBe('ERR_MODEL_TOPOLOGY');
    expect(e.message).toMatch(edgelessMessage);
    fs.rmSync(dir, { recursive: true });
    expect(survivor.predict(goodBook)).toEqual(before);
  });

  it('a one-level model with no edges (the smallest graph the format has is two edges)', () => {
    const ref = randomModel(1, 4, 1, 'pooled', 11);
    ref.edges = [];
    const e = refusal(() => createEngine({ model: writeSafetensors(toSafetensors(ref)), backend: 'cpu' }));
    expect(e.code).toBe('ERR_MODEL_TOPOLOGY');
    expect(e.message).toMatch(edgelessMessage);
    expect(e.message).toContain('2 nodes');
  });
});

describe('a sparse graph with at least one edge is still a model', () => {
  it('one edge (ask1 -> bid0) predicts as the float64 reference does', () => {
    const ref = randomModel(2, 8, 2, 'levels', 12);
    ref.edges = [[3, 0]];
    const engine = createEngine({ model: writeSafetensors(toSafetensors(ref)), backend: 'cpu' });
    for (const [depthB, depthA] of [[2, 2], [1, 1], [3, 2]]) {
      const book = randomBook(depthB, depthA, 7 + depthB);
      const expected = referenceForward(ref, referenceFeatures(book.bids, book.asks, 2));
      const p = engine.predict(book, { embedding: true });
      expect(maxAbsDiff(p.logits, expected.logits)).toBeLessThan(1e-4);
      expect(maxAbsDiff(p.embedding!, expected.embedding)).toBeLessThan(1e-4);
    }
    engine.close();
  });
});
