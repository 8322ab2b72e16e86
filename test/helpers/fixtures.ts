import * as fs from 'node:fs';
import * as path from 'node:path';

export const fixtureDir = path.join(__dirname, '..', 'fixtures');

export interface FixtureCase {
  bids: number[][];
  asks: number[][];
  features: number[][];
  expected: { direction: number[]; magnitude: number[]; volatility: number[]; embeddings: number[] };
}

export type Mode = 'pooled' | 'levels';

export function modelPath(mode: Mode): string {
  return path.join(fixtureDir, `gnn_${mode}.safetensors`);
}

export function loadCases(mode: Mode): FixtureCase[] {
  return JSON.parse(fs.readFileSync(path.join(fixtureDir, `gnn_${mode}_cases.json`), 'utf8')).cases;
}

export function softmax(logits: number[]): number[] {
  const m = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - m));
  const t = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / t);
}

export function typed(book: { bids: number[][]; asks: number[][] }) {
  return {
    bidPx: Float64Array.from(book.bids, (l) => l[0]),
    bidSz: Float64Array.from(book.bids, (l) => l[1]),
    askPx: Float64Array.from(book.asks, (l) => l[0]),
    askSz: Float64Array.from(book.asks, (l) => l[1]),
  };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
