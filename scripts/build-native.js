#!/usr/bin/env node
// `npm install` step. A prebuilt binary that loads here (the loader's own choice, CUDA variant
// tested in a child first) ends it: nothing is compiled. Otherwise, or with
// HAWKGRAPH_BUILD_FROM_SOURCE=1, build from source into build/:
//   cmake-js (an optionalDependency, so it is installed with the package) + cmake >= 3.20:
//     CPU, plus CUDA where nvcc is found (HAWKGRAPH_CUDA=OFF skips it);
//   else node-gyp (bundled with npm; binding.gyp, CPU only), told to use this Node's own headers.
// Downloads nothing: cmake-js takes the Node-API headers from the node-api-headers package.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');

const root = path.join(__dirname, '..');
const platformDir = `${process.platform}-${process.arch}`;
const force = process.env.HAWKGRAPH_BUILD_FROM_SOURCE === '1';

/** Asks the loader, in a child, which binary it would load here; null when none loads. */
function loaderChoice() {
  const loader = path.join(root, 'dist', 'native', 'loader.js');
  if (!fs.existsSync(loader)) return { binary: null, why: 'the TypeScript is not compiled yet (a git checkout)' };
  const env = { ...process.env };
  delete env.HAWKGRAPH_NATIVE;
  const script = `try { process.stdout.write(JSON.stringify({ binary: require(process.argv[1]).loadNative().binary })); }
    catch (e) { process.stdout.write(JSON.stringify({ binary: null, why: String(e.message) })); }`;
  const r = spawnSync(process.execPath, ['-e', script, loader], { cwd: root, env, encoding: 'utf8' });
  try {
    return JSON.parse(r.stdout);
  } catch {
    return { binary: null, why: `the loader check exited with ${r.status}: ${(r.stderr || '').trim().split('\n')[0]}` };
  }
}

// Tells the loader this build was made on purpose, so it comes before the prebuilt binaries
// (lib/native/loader.ts reads it): without it, HAWKGRAPH_BUILD_FROM_SOURCE=1 at install would be
// forgotten at run time.
function built(by) {
  fs.writeFileSync(path.join(root, 'build', 'hawkgraph-build.json'), `${JSON.stringify({ builtBy: by, reason: why, at: new Date().toISOString() }, null, 2)}\n`);
  process.exit(0);
}

function run(cmd, args) {
  console.log(`hawkgraph: ${path.basename(cmd)} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  return r.status === 0;
}

function resolveBin(pkg, bin) {
  try {
    const pkgJson = require.resolve(`${pkg}/package.json`, { paths: [root] });
    return path.join(path.dirname(pkgJson), bin);
  } catch {
    return null;
  }
}

let why;
if (!force && fs.existsSync(path.join(root, 'prebuilds', platformDir))) {
  const choice = loaderChoice();
  if (choice.binary && choice.binary.source === 'prebuild') {
    const b = choice.binary;
    console.log(`hawkgraph: using the prebuilt ${b.variant} binary ${path.relative(root, b.path)}${b.cudaUnavailable ? ` (${b.cudaUnavailable})` : ''}`);
    process.exit(0);
  }
  why = `the prebuilt binaries for ${platformDir} do not load here`;
  console.log(`hawkgraph: ${why}; building from source.\n${choice.why ?? ''}`);
} else if (!force) {
  why = `no prebuilt binary for ${platformDir}`;
  console.log(`hawkgraph: ${why}; building from source`);
} else {
  why = 'HAWKGRAPH_BUILD_FROM_SOURCE=1';
  console.log(`hawkgraph: ${why}, building from source`);
}

const cmakeJs = resolveBin('cmake-js', 'bin/cmake-js');
const cmakeFound = spawnSync('cmake', ['--version'], { stdio: 'ignore' }).status === 0;
if (cmakeJs && cmakeFound) {
  if (run(process.execPath, [cmakeJs, 'build', '--out', 'build'])) built('cmake-js');
  console.error('hawkgraph: the cmake-js build failed; trying node-gyp (CPU only)');
} else {
  console.error(`hawkgraph: ${cmakeJs ? 'cmake (>= 3.20) is not on the PATH' : 'cmake-js is not installed (was the optional dependency omitted?)'}; ` +
    'building with node-gyp instead: CPU only, no CUDA');
}
const nodeGyp = resolveBin('node-gyp', 'bin/node-gyp.js') ||
  path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
// This Node's own headers, when its install has them, spare node-gyp its header download.
const nodeDir = path.join(path.dirname(process.execPath), '..');
const gypArgs = ['rebuild'];
if (fs.existsSync(path.join(nodeDir, 'include', 'node', 'common.gypi'))) gypArgs.push(`--nodedir=${nodeDir}`);
if (fs.existsSync(nodeGyp) && run(process.execPath, [nodeGyp, ...gypArgs])) built('node-gyp');
console.error('hawkgraph: could not build the native addon. Install cmake (>= 3.20) and a C++17 compiler ' +
  '(nvcc too, for CUDA), then run `HAWKGRAPH_BUILD_FROM_SOURCE=1 npm rebuild hawkgraph`.');
process.exit(1);
