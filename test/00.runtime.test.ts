import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { createEngine, exampleModelPath, runtime } from '../dist/index.js';

describe('runtime()', () => {
  it('says which binary loaded, the CPU features and the CUDA status', () => {
    const r = runtime();
    expect(fs.existsSync(r.binary.path)).toBe(true);
    expect(['env', 'prebuild', 'local-build']).toContain(r.binary.source);
    expect(r.napiVersion).toBeGreaterThanOrEqual(8);
    expect(typeof r.cpu.features.avx2).toBe('boolean');
    if (process.arch === 'x64') expect(r.cpu.features.sse42).toBe(true);
    expect(typeof r.cuda.compiled).toBe('boolean');
    if (r.cuda.devices.length === 0) {
      expect(r.cuda.status).not.toBe('ok');
    } else {
      expect(r.cuda.status).toBe('ok');
      expect(r.cuda.devices[0].name.length).toBeGreaterThan(0);
    }
  });

  it('engine.info names the binary too', () => {
    const e = createEngine({ model: exampleModelPath });
    expect(e.info.binary).toEqual(runtime().binary);
    e.close();
  });
});

describe('the native loader', () => {
  it('throws one ERR_NATIVE_LOAD error listing every attempt and fixes when nothing loads', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hawkgraph-load-'));
    fs.cpSync(path.join(__dirname, '..', 'dist'), path.join(dir, 'dist'), { recursive: true });
    // The package's dependencies (eventemitter3) resolve as they would in an install.
    fs.symlinkSync(path.join(__dirname, '..', 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    fs.mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'build', 'Release', 'hawkgraph.node'), 'not a shared object');
    const script = `try { require(${JSON.stringify(path.join(dir, 'dist'))}).runtime(); } catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }`;
    const env = { ...process.env, HAWKGRAPH_NATIVE: path.join(dir, 'missing.node') };
    const r = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true });
    const err = JSON.parse(r.stdout);
    expect(err.name).toBe('HawkgraphError');
    expect(err.code).toBe('ERR_NATIVE_LOAD');
    expect(err.message).toMatch(/env: .*missing\.node \(not found\)/);
    expect(err.message).toMatch(/prebuild: .*prebuilds/);
    expect(err.message).toMatch(/local-build: .*Release.hawkgraph\.node \(.+\)/);
    expect(err.message).toMatch(/Possible solutions/);
  });
});
