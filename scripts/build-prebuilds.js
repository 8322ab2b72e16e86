#!/usr/bin/env node
// Builds the prebuilt binaries the package ships, for this platform (the published package is
// packed on linux-x64 with glibc). Two variants, the file names the loader expects
// (lib/native/loader.ts PREBUILT_FILES):
//   hawkgraph.node       CPU only (HAWKGRAPH_CUDA=OFF); CPU kernels chosen at run time from cpuid.
//   hawkgraph.cuda.node  CUDA compiled in for the default architectures, CUDA runtime linked
//                        statically; loaded only after a child process finds a usable device.
// plus manifest.json (how they were built, the glibc/libstdc++ they need, a hash of the native
// sources they were built from).
//
//   node scripts/build-prebuilds.js           (npm run build:prebuilds) build into build-prebuilds/
//   node scripts/build-prebuilds.js --pack    (prepack) the above, then copy into prebuilds/
//   node scripts/build-prebuilds.js --clean   (postpack) remove prebuilds/, so a checkout keeps
//                                             loading its own local build after a pack
// Environment:
//   HAWKGRAPH_PREBUILDS_FROM=<dir>   --pack takes the binaries from <dir> (laid out like
//       build-prebuilds/) instead of building; refused unless its manifest's source hash matches
//       these sources. CI and test/96 build once and pack from there.
//   HAWKGRAPH_PREBUILD_VARIANTS=cpu  build (and ship) only the CPU variant (default cpu,cuda).
//   HAWKGRAPH_PREBUILD_CUDA_ARCHITECTURES=90  narrower CUDA architectures for a quick try; the
//       shipped default is CMakeLists.txt's list. HAWKGRAPH_CUDA_ARCHITECTURES is ignored here so
//       a developer's iteration setting never ships.
//   HAWKGRAPH_PREBUILD_CPU_DIR / HAWKGRAPH_PREBUILD_CUDA_DIR  cmake build folders (default
//       build-cpu and build: the CUDA variant is the same build `npm install` makes from source,
//       so a CI that installed first rebuilds nothing).
'use strict';
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const platformDir = `${process.platform}-${process.arch}`;
const FILES = { cpu: 'hawkgraph.node', cuda: 'hawkgraph.cuda.node' };
const stageRoot = path.join(root, 'build-prebuilds');
const packRoot = path.join(root, 'prebuilds');

function log(msg) {
  console.log(`hawkgraph prebuilds: ${msg}`);
}

function fail(msg) {
  console.error(`hawkgraph prebuilds: ${msg}`);
  process.exit(1);
}

/** One hash over every input of the native build, so a reused binary is provably current. */
function sourceHash() {
  const files = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(p);
    }
  };
  walk(path.join(root, 'native'));
  files.push(path.join(root, 'CMakeLists.txt'));
  const h = crypto.createHash('sha256');
  for (const f of files.map((f) => path.relative(root, f).split(path.sep).join('/')).sort()) {
    h.update(`${f}\0`).update(fs.readFileSync(path.join(root, f))).update('\0');
  }
  return h.digest('hex');
}

function variants() {
  const list = (process.env.HAWKGRAPH_PREBUILD_VARIANTS || 'cpu,cuda').split(',').map((v) => v.trim()).filter(Boolean);
  for (const v of list) if (!(v in FILES)) fail(`unknown variant ${JSON.stringify(v)} in HAWKGRAPH_PREBUILD_VARIANTS (cpu, cuda)`);
  return list;
}

function cmakeJs(args, env) {
  const bin = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
  log(`cmake-js ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) fail(`cmake-js ${args[0]} failed (exit ${r.status})`);
}

// A build folder configured for another source tree (copied from elsewhere) cannot be reused.
function usableBuildDir(out, fallback) {
  let cache;
  try {
    cache = fs.readFileSync(path.join(root, out, 'CMakeCache.txt'), 'utf8');
  } catch {
    return out;
  }
  const home = /^CMAKE_HOME_DIRECTORY:INTERNAL=(.*)$/m.exec(cache);
  if (!home || fs.realpathSync(home[1]) === fs.realpathSync(root)) return out;
  log(`${out}/ was configured for ${home[1]}; building in ${fallback}/ instead`);
  return fallback;
}

function buildVariant(variant) {
  const out = variant === 'cpu'
    ? process.env.HAWKGRAPH_PREBUILD_CPU_DIR || 'build-cpu'
    : process.env.HAWKGRAPH_PREBUILD_CUDA_DIR || usableBuildDir('build', 'build-cuda');
  const env = { ...process.env, HAWKGRAPH_CUDA: variant === 'cuda' ? 'ON' : 'OFF' };
  delete env.HAWKGRAPH_CUDA_ARCHITECTURES;
  if (variant === 'cuda' && process.env.HAWKGRAPH_PREBUILD_CUDA_ARCHITECTURES) env.HAWKGRAPH_CUDA_ARCHITECTURES = process.env.HAWKGRAPH_PREBUILD_CUDA_ARCHITECTURES;
  const defs = variant === 'cpu'
    ? ['--CDHAWKGRAPH_CUDA=OFF', '--CDHAWKGRAPH_CUDA_ABSENT_REASON=this is the CPU-only prebuilt']
    : ['--CDHAWKGRAPH_CUDA=ON'];
  // configure every time: `cmake-js build` alone keeps a folder's old settings.
  cmakeJs(['configure', '--out', out, ...defs], env);
  cmakeJs(['build', '--out', out], env);
  const built = path.join(root, out, 'Release', 'hawkgraph.node');
  const report = check(built);
  if (variant === 'cuda' && !report.compiled) fail(`${built} has no CUDA compiled in (${report.status}): is nvcc on the PATH? HAWKGRAPH_PREBUILD_VARIANTS=cpu packs without the CUDA variant`);
  if (variant === 'cpu' && report.compiled) fail(`${built} has CUDA compiled in although it was configured with HAWKGRAPH_CUDA=OFF`);
  return { built, report, cudaArchitectures: variant === 'cuda' ? cudaCodes(out) : undefined };
}

// What nvcc was asked to generate (CMakeLists.txt sets the architectures as a plain variable, so
// they are not in the cache): the --generate-code flags ninja passes, e.g. "sm_75 ... compute_90".
function cudaCodes(out) {
  let rules = '';
  try {
    rules = fs.readFileSync(path.join(root, out, 'build.ninja'), 'utf8');
  } catch {
    return undefined;
  }
  const codes = new Set();
  for (const m of rules.matchAll(/,code=\[?([a-z0-9_,]+)\]?/g)) for (const c of m[1].split(',')) codes.add(c);
  return [...codes].sort(compareVersions).join(' ') || undefined;
}

function compareVersions(a, b) {
  const pa = a.split(/[._]/).map((x) => (Number.isNaN(Number(x)) ? x : Number(x)));
  const pb = b.split(/[._]/).map((x) => (Number.isNaN(Number(x)) ? x : Number(x)));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0, y = pb[i] ?? 0;
    if (x !== y) return typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

/** Loads a binary in a child and returns its CUDA report: proves it loads with this Node. */
function check(file) {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(JSON.stringify(require(process.argv[1]).runtime().cuda))', file], { encoding: 'utf8' });
  if (r.status !== 0) fail(`${file} does not load: ${(r.stderr || '').trim().split('\n')[0]}`);
  return JSON.parse(r.stdout);
}

/** The newest GLIBC_ / GLIBCXX_ symbol versions a binary needs (binutils' objdump; optional). */
function libcNeeds(file) {
  const r = spawnSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) return {};
  const newest = (prefix) => {
    const vs = [...new Set([...r.stdout.matchAll(new RegExp(`\\b${prefix}_([0-9.]+)\\b`, 'g'))].map((m) => m[1]))];
    vs.sort(compareVersions);
    return vs[vs.length - 1];
  };
  return { glibc: newest('GLIBC'), glibcxx: newest('GLIBCXX') };
}

function stage() {
  const started = Date.now();
  const hash = sourceHash();
  const dir = path.join(stageRoot, platformDir);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const manifest = { platform: platformDir, napi: 8, sourceHash: hash, builtWith: `Node ${process.version}`, variants: {} };
  for (const variant of variants()) {
    const t = Date.now();
    const { built, report, cudaArchitectures } = buildVariant(variant);
    const file = path.join(dir, FILES[variant]);
    fs.copyFileSync(built, file);
    // Symbols are not needed to load or to read a stack from Node; stripping halves the file.
    const strip = spawnSync('strip', ['--strip-unneeded', file], { stdio: 'inherit' });
    if (strip.status !== 0) log('strip not available; shipping unstripped');
    const needs = libcNeeds(file);
    manifest.variants[variant] = {
      file: FILES[variant], bytes: fs.statSync(file).size, ...needs,
      ...(variant === 'cuda' ? { cudaRuntime: report.runtimeVersion, cudaArchitectures } : {}),
      buildSeconds: Math.round((Date.now() - t) / 1000),
    };
    log(`${variant}: ${file} (${(manifest.variants[variant].bytes / 1e6).toFixed(1)} MB, ${manifest.variants[variant].buildSeconds} s)`);
  }
  // The loader names the oldest system these need when a prebuilt fails to load.
  const all = Object.values(manifest.variants);
  manifest.glibc = all.map((v) => v.glibc).filter(Boolean).sort(compareVersions).pop();
  manifest.glibcxx = all.map((v) => v.glibcxx).filter(Boolean).sort(compareVersions).pop();
  fs.writeFileSync(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  log(`staged in ${path.relative(root, dir)} in ${Math.round((Date.now() - started) / 1000)} s`);
  return stageRoot;
}

function reuse(from) {
  const dir = path.join(path.resolve(from), platformDir);
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  } catch (err) {
    fail(`HAWKGRAPH_PREBUILDS_FROM=${from}: no ${platformDir}/manifest.json there (${err.message}); run npm run build:prebuilds`);
  }
  if (manifest.sourceHash !== sourceHash()) fail(`HAWKGRAPH_PREBUILDS_FROM=${from}: built from other native sources than these; run npm run build:prebuilds`);
  for (const v of variants()) {
    if (!manifest.variants[v] || !fs.existsSync(path.join(dir, FILES[v]))) fail(`HAWKGRAPH_PREBUILDS_FROM=${from}: the ${v} variant is missing`);
  }
  log(`reusing the binaries in ${dir} (same native sources)`);
  return path.resolve(from);
}

function copyForPack(from) {
  const src = path.join(from, platformDir);
  const dst = path.join(packRoot, platformDir);
  fs.rmSync(packRoot, { recursive: true, force: true });
  fs.mkdirSync(dst, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(src, 'manifest.json'), 'utf8'));
  for (const v of variants()) fs.copyFileSync(path.join(src, FILES[v]), path.join(dst, FILES[v]));
  for (const v of Object.keys(manifest.variants)) if (!variants().includes(v)) delete manifest.variants[v];
  fs.writeFileSync(path.join(dst, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  log(`packing ${variants().map((v) => FILES[v]).join(', ')} from ${src}`);
}

const mode = process.argv[2];
if (mode === '--clean') {
  fs.rmSync(packRoot, { recursive: true, force: true });
} else if (mode === '--pack') {
  copyForPack(process.env.HAWKGRAPH_PREBUILDS_FROM ? reuse(process.env.HAWKGRAPH_PREBUILDS_FROM) : stage());
} else if (mode === undefined) {
  stage();
} else {
  fail(`unknown option ${mode} (--pack, --clean)`);
}
