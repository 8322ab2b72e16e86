// The package as a user gets it: `npm pack` (prepack puts the prebuilt binaries in), then
// `npm install ./hawkgraph-<v>.tgz` into a fresh project whose PATH holds node, npm and a shell
// but no compiler, offline (its dependencies are packed from this checkout's node_modules into
// a private, empty npm cache). The installed package must load its prebuilt binary, predict a
// book, say truthfully which variant loaded and why CUDA is absent, ship the docs the README
// links to, and run the README's CLI command.
//
// The pack runs in a copy of the checkout, so the suites running beside this one keep loading
// this checkout's own build. With HAWKGRAPH_PREBUILDS_FROM (set by .ci/run after it staged the
// binaries) it compiles nothing; without it, it builds the prebuilt variants first into
// build-cpu/ and build-cuda/ (minutes the first time, incremental after). Skipped, saying why,
// only when neither is possible here (no cmake or C++ compiler).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');
const platformDir = `${process.platform}-${process.arch}`;
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string; version: string; files: string[]; dependencies: Record<string, string>;
};

function runs(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

const stagedFrom = process.env.HAWKGRAPH_PREBUILDS_FROM;
const variants = process.env.HAWKGRAPH_PREBUILD_VARIANTS || (runs('nvcc') ? 'cpu,cuda' : 'cpu');
const cudaPacked = variants.split(',').includes('cuda');
const whyNot = stagedFrom
  ? fs.existsSync(path.join(stagedFrom, platformDir, 'manifest.json')) ? '' : `HAWKGRAPH_PREBUILDS_FROM=${stagedFrom} holds no ${platformDir}/manifest.json`
  : !runs('cmake') ? 'cmake is not on the PATH, so the pack step cannot build the prebuilt binaries'
  : !(runs('c++') || runs('g++')) ? 'no C++ compiler on the PATH, so the pack step cannot build the prebuilt binaries'
  : '';
if (whyNot) console.log(`test/96: skipping the pack-and-install test: ${whyNot}`);

// npm itself: the one running `npm test`, else the one installed beside node.
const npmCli = process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath)
  ? process.env.npm_execpath
  : path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');

let tmp: string;
let bin: string;
let project: string;
let installed: string;
let installOut: string;
let tgzBytes = 0;
let tarList: string[] = [];

function must(r: ReturnType<typeof spawnSync>, what: string): string {
  const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${out.slice(-4000)}`);
  return out;
}

/** The environment of a user's shell without a compiler: PATH is only the symlink folder. */
function userEnv(): NodeJS.ProcessEnv {
  return {
    PATH: bin, HOME: path.join(tmp, 'home'), TMPDIR: os.tmpdir(),
    HAWKGRAPH_CACHE_DIR: path.join(tmp, 'hawkgraph-cache'), npm_config_cache: path.join(tmp, 'npm-cache'),
    npm_config_update_notifier: 'false',
  };
}

/** Where Node's resolution finds package `name` from `from` (its package.json may not be exported). */
function packageDir(name: string, from: string): string {
  for (let d = from; ; d = path.dirname(d)) {
    const dir = path.join(d, 'node_modules', name);
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(d) === d) throw new Error(`${name} is not installed under ${from}`);
  }
}

/** Packs a dependency (and its own dependencies) from this checkout's node_modules into vendor/. */
function vendor(name: string, from: string, done: Set<string>): void {
  if (done.has(name)) return;
  done.add(name);
  const dir = packageDir(name, from);
  must(spawnSync(process.execPath, [npmCli, 'pack', '--ignore-scripts', '--pack-destination', path.join(tmp, 'vendor'), dir], { encoding: 'utf8', cwd: tmp }), `npm pack ${name}`);
  const deps = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {};
  for (const d of Object.keys(deps)) vendor(d, dir, done);
}

describe.skipIf(!!whyNot)('npm pack, then npm install into a project with no compiler', () => {
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hawkgraph-pack-'));
    let from = stagedFrom;
    if (!from) {
      // build-cuda/, not build/: the suites beside this one are loading build/Release.
      const started = Date.now();
      must(spawnSync(process.execPath, [path.join(root, 'scripts', 'build-prebuilds.js')], {
        cwd: root, encoding: 'utf8', env: { ...process.env, HAWKGRAPH_PREBUILD_VARIANTS: variants, HAWKGRAPH_PREBUILD_CUDA_DIR: 'build-cuda' },
      }), 'building the prebuilt binaries');
      console.log(`test/96: built the prebuilt binaries (${variants}) in ${Math.round((Date.now() - started) / 1000)} s`);
      from = path.join(root, 'build-prebuilds');
    }

    // A copy of what a clean checkout holds for packing; prepare (tsc) makes dist/ in it.
    const src = path.join(tmp, 'src');
    // A glob entry (train/**/*.py) copies its folder; npm pack applies the pattern.
    const entries = new Set(['package.json', 'tsconfig.json', 'lib', 'scripts', ...pkg.files.map((f) => f.replace(/\/$/, '').split('/*')[0])]);
    for (const skip of ['dist', 'prebuilds']) entries.delete(skip);
    for (const e of entries) {
      if (fs.existsSync(path.join(root, e))) fs.cpSync(path.join(root, e), path.join(src, e), { recursive: true });
    }
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(src, 'node_modules'), 'dir');
    const started = Date.now();
    must(spawnSync(process.execPath, [npmCli, 'pack', '--pack-destination', tmp], {
      cwd: src, encoding: 'utf8', env: { ...process.env, HAWKGRAPH_PREBUILDS_FROM: from, HAWKGRAPH_PREBUILD_VARIANTS: variants },
    }), 'npm pack');
    const tgz = path.join(tmp, `${pkg.name}-${pkg.version}.tgz`);
    tgzBytes = fs.statSync(tgz).size;
    tarList = must(spawnSync('tar', ['tzf', tgz], { encoding: 'utf8', maxBuffer: 16 << 20 }), 'tar tzf').split('\n').map((l) => l.trim()).filter((l) => l.startsWith('package/'));
    console.log(`test/96: packed ${path.basename(tgz)} (${(tgzBytes / 1e6).toFixed(1)} MB, ${tarList.length} files, variants ${variants}) in ${Math.round((Date.now() - started) / 1000)} s`);
    expect(fs.existsSync(path.join(src, 'prebuilds')), 'postpack removes prebuilds/ from the packed folder').toBe(false);

    // The user's PATH: node, npm, npx and a shell, and no compiler.
    bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    fs.symlinkSync(npmCli, path.join(bin, 'npm'));
    fs.symlinkSync(path.join(path.dirname(npmCli), 'npx-cli.js'), path.join(bin, 'npx'));
    for (const tool of ['sh', 'env', 'cat', 'ls', 'mkdir', 'rm', 'cp', 'mv', 'uname']) {
      const where = ['/bin', '/usr/bin'].map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
      if (where) fs.symlinkSync(where, path.join(bin, tool));
    }
    fs.mkdirSync(path.join(tmp, 'home'));

    fs.mkdirSync(path.join(tmp, 'vendor'));
    const done = new Set<string>();
    for (const d of Object.keys(pkg.dependencies)) vendor(d, root, done);
    project = path.join(tmp, 'project');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'a-trading-bot', version: '1.0.0', private: true }));
    const vendored = fs.readdirSync(path.join(tmp, 'vendor')).map((f) => path.join(tmp, 'vendor', f));
    // --offline with an empty cache: nothing can come from a registry. The optional cmake-js
    // (only needed to build from source) is not there, and npm goes on without it.
    installOut = must(spawnSync(process.execPath, [npmCli, 'install', '--offline', '--no-audit', '--no-fund', '--foreground-scripts', ...vendored, tgz], {
      cwd: project, encoding: 'utf8', env: userEnv(),
    }), 'npm install of the packed package');
    installed = path.join(project, 'node_modules', pkg.name);
  }, 30 * 60_000);

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('has no compiler on the PATH it installs with', () => {
    for (const tool of ['cc', 'c++', 'gcc', 'g++', 'clang', 'clang++', 'cmake', 'make', 'ninja', 'nvcc']) {
      const r = spawnSync(tool, ['--version'], { env: userEnv(), stdio: 'ignore' });
      expect(r.error && (r.error as NodeJS.ErrnoException).code, tool).toBe('ENOENT');
    }
  });

  it('ships the prebuilt binaries, the docs, the examples and the model, and nothing of the checkout besides', () => {
    const has = (f: string) => tarList.includes(`package/${f}`);
    expect(has(`prebuilds/${platformDir}/hawkgraph.node`)).toBe(true);
    expect(has(`prebuilds/${platformDir}/hawkgraph.cuda.node`)).toBe(cudaPacked);
    expect(has(`prebuilds/${platformDir}/manifest.json`)).toBe(true);
    for (const f of ['README.md', 'BENCHMARKS.md', 'docs/hawkes.md', 'docs/backtest.md', 'examples/backtest-study.json', 'models/orderbook-gnn-pooled.safetensors',
      'dist/index.js', 'dist/index.d.ts', 'dist/native/loader.js', 'dist/cli.js', 'scripts/build-native.js', 'CMakeLists.txt', 'binding.gyp', 'native/sources.json']) {
      expect(has(f), f).toBe(true);
    }
    expect(tarList.filter((f) => /^package\/(test|bench|lib|build[^/]*|fuzz|node_modules)\//.test(f) || /__pycache__|\.pyc$/.test(f))).toEqual([]);
    expect(has('train/hawkgraph_train/train.py')).toBe(true); // check-model's PyTorch side
    // Every relative link in the README resolves inside the installed package.
    const readme = fs.readFileSync(path.join(installed, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(((?!https?:|#)[^)#\s]+)/g)].map((m) => m[1]);
    for (const link of links) expect(fs.existsSync(path.join(installed, link)), `README link ${link}`).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'prebuilds', platformDir, 'manifest.json'), 'utf8')) as { variants: Record<string, unknown> };
    expect(Object.keys(manifest.variants).sort()).toEqual(variants.split(',').sort());
  });

  it('installs without compiling: the install step finds a prebuilt that loads', () => {
    expect(installOut).toMatch(/hawkgraph: using the prebuilt (cpu|cuda) binary prebuilds/);
    expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
  });

  it('loads the prebuilt, predicts a book and says which variant loaded and why CUDA is absent', () => {
    const script = `
      const hg = require('hawkgraph');
      const r = hg.runtime();
      const engine = hg.createEngine({ model: hg.exampleModelPath });
      const p = engine.predict({ bids: [[101.2, 3.5], [101.1, 2], [101.0, 4]], asks: [[101.3, 1], [101.4, 2.5], [101.5, 3]] });
      engine.close();
      console.log(JSON.stringify({ binary: r.binary, cuda: r.cuda, direction: p.direction, probs: Array.from(p.probs) }));`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: project, env: userEnv(), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(['down', 'flat', 'up']).toContain(out.direction);
    expect(out.probs.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 6);
    const b = out.binary;
    expect(b.source).toBe('prebuild');
    expect(fs.realpathSync(path.dirname(b.path))).toBe(fs.realpathSync(path.join(installed, 'prebuilds', platformDir)));
    // Where the CUDA variant's child found a device it must have loaded and must say 'ok'; else
    // the CPU variant loaded and the reason must be a missing device or driver, nothing else.
    if (b.variant === 'cuda') {
      expect(cudaPacked).toBe(true);
      expect(path.basename(b.path)).toBe('hawkgraph.cuda.node');
      expect(b.tested).toMatch(/^(child process|cached)/);
      expect(out.cuda.status).toBe('ok');
      expect(out.cuda.devices.length).toBeGreaterThan(0);
      return;
    }
    expect(b.variant).toBe('cpu');
    expect(path.basename(b.path)).toBe('hawkgraph.node');
    expect(out.cuda.compiled).toBe(false);
    if (cudaPacked) {
      const skipped = b.rejected.find((x: { variant?: string }) => x.variant === 'cuda');
      expect(skipped.reason).toMatch(/^(no NVIDIA driver found \(cudaErrorInsufficientDriver\)|no CUDA device \(.+\)|the NVIDIA driver is too old: .*)$/);
      expect(b.cudaUnavailable).toBe(`this is the CPU-only prebuilt; the CUDA variant was skipped: ${skipped.reason}`);
    } else {
      expect(b.cudaUnavailable).toBe(`this is the CPU-only prebuilt; this package has no CUDA variant for ${platformDir}`);
    }
    expect(out.cuda.status).toBe(b.cudaUnavailable);
  });

  it('runs the README\'s `npx hawkgraph backtest examples/backtest-study.json` from the project folder', async () => {
    // The study takes a minute or more on a small machine: seeing its first run start proves the
    // command resolved the example and reached the native backtester.
    const child = spawn(process.execPath, [path.join(bin, 'npx'), '--offline', 'hawkgraph', 'backtest', 'examples/backtest-study.json'], {
      cwd: project, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const outcome = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), 120_000);
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/run 1\/\d+/.test(stderr)) {
          clearTimeout(timer);
          resolve('started');
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(`exited ${code}`);
      });
    });
    child.kill('SIGINT');
    expect(outcome, stderr).toBe('started');
  }, 180_000);
});
