// The loader's choice between the prebuilt variants (lib/native/loader.ts), run in child
// processes against a temporary prebuilds folder (HAWKGRAPH_PREBUILDS): a CUDA variant that does
// not load, or loads and finds no device, is passed over for the CPU variant, and the reason is
// kept in binary.rejected and binary.cudaUnavailable. Needs no compiler; the no-device case needs
// a binary with CUDA compiled in (the CI's staged CUDA prebuilt, or a local CUDA build) and skips,
// saying so, without one.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runtime } from '../dist/index.js';

const root = path.join(__dirname, '..');
const platformDir = `${process.platform}-${process.arch}`;

interface Rejected { path: string; source: string; variant?: string; reason: string; tested?: string }
interface Binary { path: string; source: string; variant: string; rejected: Rejected[]; cudaUnavailable?: string; tested?: string }
interface Outcome { binary?: Binary; error?: { code: string; message: string }; ms: number }

/**
 * A package folder holding a copy of dist/ and, when asked, a local build (marked as made by the
 * install step or not): this checkout's own build/ must not take part.
 */
function packageCopy(name: string, localBuild?: { marked: boolean }): string {
  const pkg = path.join(dir, name);
  fs.cpSync(path.join(root, 'dist'), path.join(pkg, 'dist'), { recursive: true });
  if (localBuild) {
    fs.mkdirSync(path.join(pkg, 'build', 'Release'), { recursive: true });
    fs.copyFileSync(cpuBinary, path.join(pkg, 'build', 'Release', 'hawkgraph.node'));
    if (localBuild.marked) fs.writeFileSync(path.join(pkg, 'build', 'hawkgraph-build.json'), JSON.stringify({ builtBy: 'cmake-js', reason: 'HAWKGRAPH_BUILD_FROM_SOURCE=1' }));
  }
  return path.join(pkg, 'dist', 'native', 'loader.js');
}

/** Loads in a fresh process, with the loader's settings cleared except those given. */
function load(env: Record<string, string>, loader = plainLoader): Outcome {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['HAWKGRAPH_NATIVE', 'HAWKGRAPH_VARIANT', 'HAWKGRAPH_BUILD_FROM_SOURCE', 'HAWKGRAPH_PREBUILDS']) delete clean[k];
  const script = `const t = process.hrtime.bigint();
try { const { binary } = require(process.argv[1]).loadNative(); console.log(JSON.stringify({ binary, ms: Number(process.hrtime.bigint() - t) / 1e6 })); }
catch (e) { console.log(JSON.stringify({ error: { code: e.code, message: e.message }, ms: 0 })); }`;
  const r = spawnSync(process.execPath, ['-e', script, loader], { env: { ...clean, HAWKGRAPH_CACHE_DIR: 'off', ...env }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Outcome;
}

/** A binary with CUDA compiled in (and whether it sees a device), or why there is none here. */
function findCudaBinary(): { file?: string; devices?: number; why: string } {
  const tried: string[] = [];
  // Not build-prebuilds/ unless CI staged it: test/96 may be rebuilding it beside this suite.
  const staged = process.env.HAWKGRAPH_PREBUILDS_FROM ? [path.join(process.env.HAWKGRAPH_PREBUILDS_FROM, platformDir, 'hawkgraph.cuda.node')] : [];
  for (const file of [...staged, path.join(root, 'build', 'Release', 'hawkgraph.node')]) {
    if (!fs.existsSync(file)) {
      tried.push(`${file} (not found)`);
      continue;
    }
    const r = spawnSync(process.execPath, ['-e', 'const c = require(process.argv[1]).runtime().cuda; console.log(c.compiled, c.devices.length)', file], { encoding: 'utf8' });
    const [compiled, devices] = r.stdout.trim().split(' ');
    if (compiled === 'true') return { file, devices: Number(devices), why: '' };
    tried.push(`${file} (no CUDA compiled in)`);
  }
  return { why: `no binary with CUDA compiled in: ${tried.join(', ')}` };
}

let dir: string;
let cpuBinary: string;
let plainLoader: string;
const cuda = findCudaBinary();
if (!cuda.file) console.log(`test/97: ${cuda.why}; skipping the no-device case`);

function prebuilds(name: string, files: { cuda?: string | Buffer; cpu?: string | Buffer }): string {
  const base = path.join(dir, name);
  fs.mkdirSync(path.join(base, platformDir), { recursive: true });
  const put = (file: string, from: string | Buffer | undefined) => {
    if (from === undefined) return;
    const dest = path.join(base, platformDir, file);
    if (Buffer.isBuffer(from)) fs.writeFileSync(dest, from);
    else fs.copyFileSync(from, dest);
  };
  put('hawkgraph.cuda.node', files.cuda);
  put('hawkgraph.node', files.cpu);
  return base;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hawkgraph-variants-'));
  // Any binary this suite loads stands in for the CPU variant: the choice is what is tested.
  cpuBinary = runtime().binary.path;
  plainLoader = packageCopy('plain');
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the prebuilt variant choice', () => {
  it('passes over a CUDA variant that fails to load and says why', () => {
    const pb = prebuilds('corrupt', { cuda: Buffer.from('not a shared object'), cpu: cpuBinary });
    const { binary } = load({ HAWKGRAPH_PREBUILDS: pb });
    expect(binary).toBeDefined();
    expect(binary!.source).toBe('prebuild');
    expect(binary!.variant).toBe('cpu');
    expect(binary!.path).toBe(path.join(pb, platformDir, 'hawkgraph.node'));
    const skipped = binary!.rejected.find((r) => r.variant === 'cuda')!;
    expect(skipped.path).toBe(path.join(pb, platformDir, 'hawkgraph.cuda.node'));
    expect(skipped.reason).toMatch(/^failed to load in a child process \(it exited with 1: .*(invalid ELF header|file too short|not a valid)/);
    expect(skipped.tested).toMatch(/^child process, \d+ ms$/);
    expect(binary!.cudaUnavailable).toBe(`this is the CPU-only prebuilt; the CUDA variant was skipped: ${skipped.reason}`);
  });

  it.skipIf(!cuda.file)('passes over a CUDA variant whose child finds no device, with the reason, and keeps the verdict', () => {
    const pb = prebuilds('no-device', { cuda: cuda.file, cpu: cpuBinary });
    const cache = path.join(dir, 'verdicts');
    // An empty CUDA_VISIBLE_DEVICES hides every GPU, so a GPU machine takes this path too.
    const env = { HAWKGRAPH_PREBUILDS: pb, HAWKGRAPH_CACHE_DIR: cache, CUDA_VISIBLE_DEVICES: '' };
    const first = load(env).binary!;
    expect(first.variant).toBe('cpu');
    const skipped = first.rejected.find((r) => r.variant === 'cuda')!;
    expect(skipped.reason).toMatch(/^(no NVIDIA driver found \(cudaErrorInsufficientDriver\)|no CUDA device \(.+\)|the NVIDIA driver is too old: .*)$/);
    expect(skipped.tested).toMatch(/^child process, \d+ ms$/);
    expect(first.cudaUnavailable).toBe(`this is the CPU-only prebuilt; the CUDA variant was skipped: ${skipped.reason}`);
    // The second process takes the verdict from the cache instead of starting a child.
    const second = load(env).binary!;
    const again = second.rejected.find((r) => r.variant === 'cuda')!;
    expect(again.reason).toBe(skipped.reason);
    expect(again.tested).toMatch(/^cached: .*cuda-verdict-[0-9a-f]+\.json$/);
    // A rebuilt binary (another mtime) is a new key: tested again.
    const file = path.join(pb, platformDir, 'hawkgraph.cuda.node');
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(file, later, later);
    expect(load(env).binary!.rejected.find((r) => r.variant === 'cuda')!.tested).toMatch(/^child process/);
  });

  it.skipIf(!cuda.devices)('loads the CUDA variant where its child finds a device', () => {
    const pb = prebuilds('device', { cuda: cuda.file, cpu: cpuBinary });
    const binary = load({ HAWKGRAPH_PREBUILDS: pb }).binary!;
    expect(binary.variant).toBe('cuda');
    expect(binary.path).toBe(path.join(pb, platformDir, 'hawkgraph.cuda.node'));
    expect(binary.tested).toMatch(/^child process/);
    expect(binary.cudaUnavailable).toBeUndefined();
  });

  it('HAWKGRAPH_VARIANT=cpu skips the CUDA variant without starting a child', () => {
    const pb = prebuilds('forced', { cuda: Buffer.from('never loaded'), cpu: cpuBinary });
    const binary = load({ HAWKGRAPH_PREBUILDS: pb, HAWKGRAPH_VARIANT: 'cpu' }).binary!;
    expect(binary.variant).toBe('cpu');
    const skipped = binary.rejected.find((r) => r.variant === 'cuda')!;
    expect(skipped.reason).toBe('HAWKGRAPH_VARIANT=cpu');
    expect(skipped.tested).toBeUndefined();
  });

  it('HAWKGRAPH_VARIANT=cuda passes over the CPU variant, and a bad value is refused', () => {
    const pb = prebuilds('forced-cuda', { cuda: Buffer.from('not a shared object'), cpu: cpuBinary });
    const out = load({ HAWKGRAPH_PREBUILDS: pb, HAWKGRAPH_VARIANT: 'cuda' });
    // The CUDA file is loaded in-process without the child test, fails, and the CPU one is not taken.
    const reasons = (out.binary?.rejected ?? []).map((r) => `${r.variant}: ${r.reason}`).join('\n') + (out.error?.message ?? '');
    expect(reasons).toMatch(/cuda.*failed to load: /);
    expect(reasons).toMatch(/cpu.*HAWKGRAPH_VARIANT=cuda/);
    expect(load({ HAWKGRAPH_PREBUILDS: pb, HAWKGRAPH_VARIANT: 'gpu' }).error?.code).toBe('ERR_INVALID_OPTION');
  });

  it('HAWKGRAPH_BUILD_FROM_SOURCE=1 skips every prebuilt for the local build', () => {
    const pb = prebuilds('from-source', { cuda: Buffer.from('never loaded'), cpu: cpuBinary });
    const loader = packageCopy('with-build', { marked: false });
    // Without the variable, an unmarked local build comes after the prebuilt ones.
    expect(load({ HAWKGRAPH_PREBUILDS: pb, HAWKGRAPH_VARIANT: 'cpu' }, loader).binary!.source).toBe('prebuild');
    const binary = load({ HAWKGRAPH_PREBUILDS: pb, HAWKGRAPH_BUILD_FROM_SOURCE: '1' }, loader).binary!;
    expect(binary.source).toBe('local-build');
    expect(binary.rejected.map((r) => r.reason)).toEqual(['HAWKGRAPH_BUILD_FROM_SOURCE=1 chose the local build', 'HAWKGRAPH_BUILD_FROM_SOURCE=1 chose the local build']);
    // With no local build, the error says so.
    const none = load({ HAWKGRAPH_PREBUILDS: pb, HAWKGRAPH_BUILD_FROM_SOURCE: '1' });
    expect(none.error!.message).toMatch(/prebuild: .*hawkgraph\.node \(cpu variant: HAWKGRAPH_BUILD_FROM_SOURCE=1 chose the local build\)/);
    expect(none.error!.message).toMatch(/Unset HAWKGRAPH_BUILD_FROM_SOURCE/);
  });

  it('a build the install step made from source loads before the prebuilt ones', () => {
    const loader = packageCopy('installed', { marked: true });
    const pb = prebuilds('marked', { cuda: Buffer.from('never loaded'), cpu: cpuBinary });
    const binary = load({ HAWKGRAPH_PREBUILDS: pb }, loader).binary!;
    expect(binary.source).toBe('local-build');
    expect(binary.path).toBe(path.join(path.dirname(loader), '..', '..', 'build', 'Release', 'hawkgraph.node'));
    for (const r of binary.rejected) expect(r.reason).toMatch(/^the install built from source \(HAWKGRAPH_BUILD_FROM_SOURCE=1, cmake-js; .*hawkgraph-build\.json\)$/);
    expect(binary.rejected.map((r) => r.variant)).toEqual(['cuda', 'cpu']);
  });

  it('lists every variant and tailored fixes when nothing loads', () => {
    const pb = prebuilds('broken', { cuda: Buffer.from('not a shared object'), cpu: Buffer.from('not a shared object either') });
    const out = load({ HAWKGRAPH_PREBUILDS: pb });
    expect(out.error?.code).toBe('ERR_NATIVE_LOAD');
    const m = out.error!.message;
    expect(m).toMatch(/Tried:\n/);
    expect(m).toMatch(/prebuild: .*hawkgraph\.cuda\.node \(cuda variant: failed to load in a child process/);
    expect(m).toMatch(/prebuild: .*hawkgraph\.node \(cpu variant: failed to load: /);
    expect(m).toMatch(/local-build: .*Release.hawkgraph\.node \(not found\)/);
    expect(m).toMatch(/Possible solutions:\n {2}- Build from source: `HAWKGRAPH_BUILD_FROM_SOURCE=1 npm rebuild hawkgraph`/);
  });
});
