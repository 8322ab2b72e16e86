#!/usr/bin/env node
// `npm install` step: use a prebuilt binary when one loads for this platform; otherwise build
// from source with cmake-js (CPU, plus CUDA where nvcc is found), or node-gyp (CPU only) when
// cmake-js or cmake is missing. Downloads nothing: headers come from node-api-headers.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');

const root = path.join(__dirname, '..');
const force = process.env.HAWKGRAPH_BUILD_FROM_SOURCE === '1';

function prebuildLoads() {
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  if (!fs.existsSync(dir)) return false;
  const probe = spawnSync(process.execPath, ['-e', `require(require('node-gyp-build').path(${JSON.stringify(root)}))`], {
    cwd: root,
    stdio: 'ignore',
  });
  return probe.status === 0;
}

function run(cmd, args) {
  console.log(`hawkgraph: ${cmd} ${args.join(' ')}`);
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

if (!force && prebuildLoads()) {
  console.log('hawkgraph: using the prebuilt binary for this platform');
  process.exit(0);
}
const cmakeJs = resolveBin('cmake-js', 'bin/cmake-js');
const cmakeFound = spawnSync('cmake', ['--version'], { stdio: 'ignore' }).status === 0;
if (cmakeJs && cmakeFound) {
  if (run(process.execPath, [cmakeJs, 'build', '--out', 'build'])) process.exit(0);
  console.error('hawkgraph: the cmake-js build failed; trying node-gyp (CPU only)');
}
const nodeGyp = resolveBin('node-gyp', 'bin/node-gyp.js') || path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
if (fs.existsSync(nodeGyp) && run(process.execPath, [nodeGyp, 'rebuild'])) process.exit(0);
console.error('hawkgraph: could not build the native addon. Install cmake (>= 3.20) and a C++17 compiler, then run `npm rebuild hawkgraph`.');
process.exit(1);
