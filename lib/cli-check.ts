/**
 * `hawkgraph check-model model.safetensors data.arrows`: runs a trained model in the engine on a
 * dataset's books and compares every output with PyTorch's on the same books (train/'s
 * hawkgraph_train.predict, run with --python), within --tolerance (default 1e-4). Called by cli.ts,
 * which owns the usage text and the exit codes.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { readDataset } from './dataset';
import { createEngine } from './gnn';
import { readArgs } from './cli-args';

export const CHECK_USAGE = `usage: hawkgraph check-model <model.safetensors> <data.arrows> [--books N] [--tolerance T] [--python PATH] [--train-dir DIR]

Runs the model in the engine (CPU) on the dataset's first N books with the model's levels on both sides (default 512)
and compares logits, magnitude and volatility with PyTorch's outputs from train/ (python3 -m hawkgraph_train.predict;
--python: an interpreter with torch, pyarrow and safetensors, default python3; --train-dir: the train/ folder, default
the package's). Exit 0 when every output is within --tolerance (default 1e-4), 1 otherwise.`;

interface CheckArgs {
  model: string;
  data: string;
  books: number;
  tolerance: number;
  python: string;
  trainDir: string;
}

function parseCheckArgs(argv: string[], usage: (message?: string) => never): CheckArgs {
  const positional: string[] = [];
  const out = { books: 512, tolerance: 1e-4, python: 'python3', trainDir: path.join(__dirname, '..', 'train') };
  for (const { arg: a, value } of readArgs(argv, usage)) {
    if (a === '--books') out.books = Number(value());
    else if (a === '--tolerance') out.tolerance = Number(value());
    else if (a === '--python') out.python = value();
    else if (a === '--train-dir') out.trainDir = value();
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else positional.push(a);
  }
  if (positional.length !== 2) usage('check-model takes a model file and a dataset file');
  if (!(Number.isInteger(out.books) && out.books >= 1)) usage('--books must be a positive integer');
  if (!(out.tolerance > 0)) usage('--tolerance must be a number > 0');
  return { model: positional[0], data: positional[1], ...out };
}

/** Largest absolute differences between the engine's and PyTorch's outputs. */
export interface ModelCheck {
  books: number;
  logits: number;
  magnitude: number;
  volatility: number;
  tolerance: number;
  ok: boolean;
}

export function checkModel(args: CheckArgs): ModelCheck {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hawkgraph-check-'));
  try {
    const ref = path.join(dir, 'torch.json');
    execFileSync(args.python, ['-m', 'hawkgraph_train.predict', args.model, args.data, '--books', String(args.books), '--out', ref], {
      cwd: args.trainDir,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const torch = JSON.parse(fs.readFileSync(ref, 'utf8')) as { rows: number[]; logits: number[][]; magnitude: number[]; volatility: number[] };
    const data = readDataset(args.data);
    const engine = createEngine({ model: args.model, backend: 'cpu' });
    try {
      const L = engine.info.levels, w = 4 * data.levels;
      const batch = engine.createBatch(torch.rows.length);
      torch.rows.forEach((row, k) => {
        const slot = batch.slot(k);
        for (let side = 0; side < 4; side++) slot[(['bidPx', 'bidSz', 'askPx', 'askSz'] as const)[side]].set(data.columns.subarray(row * w + side * data.levels, row * w + side * data.levels + L));
        batch.setCounts(k, L, L);
      });
      batch.length = torch.rows.length;
      const out = engine.predictBatch(batch);
      let logits = 0, magnitude = 0, volatility = 0;
      torch.rows.forEach((_, k) => {
        for (let c = 0; c < 3; c++) logits = Math.max(logits, Math.abs(out.logits[3 * k + c] - torch.logits[k][c]));
        magnitude = Math.max(magnitude, Math.abs(out.magnitude[k] - torch.magnitude[k]));
        volatility = Math.max(volatility, Math.abs(out.volatility[k] - torch.volatility[k]));
      });
      const ok = Math.max(logits, magnitude, volatility) <= args.tolerance;
      return { books: torch.rows.length, logits, magnitude, volatility, tolerance: args.tolerance, ok };
    } finally {
      engine.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function checkMain(argv: string[], usage: (message?: string) => never): number {
  const result = checkModel(parseCheckArgs(argv, usage));
  const e = (x: number) => x.toExponential(2);
  process.stdout.write(
    `check-model: ${result.books} books; largest differences engine - PyTorch: logits ${e(result.logits)}, magnitude ${e(result.magnitude)}, ` +
      `volatility ${e(result.volatility)} (tolerance ${e(result.tolerance)}): ${result.ok ? 'ok' : 'FAILED'}\n`,
  );
  return result.ok ? 0 : 1;
}
