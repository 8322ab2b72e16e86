/**
 * Finds and loads the native addon binary; knows nothing of the addon's functions beyond the two
 * it needs to load one (`setErrorClass`, `runtime`). May import only node builtins and ../errors.
 *
 * Order, first that loads wins; every candidate passed over is recorded with its reason:
 *   1. $HAWKGRAPH_NATIVE, a binary the user names.
 *   2. Unless HAWKGRAPH_BUILD_FROM_SOURCE=1: the prebuilt CUDA variant
 *      (prebuilds/<platform>-<arch>/hawkgraph.cuda.node), loaded here only after a child process
 *      loaded it and found a usable device (as node-llama-cpp does): a CUDA binary that dies in
 *      the driver takes the child down, not the bot. The child's verdict is kept for this process
 *      and on disk, keyed by the binary and the driver (see probeCacheFile).
 *   3. Unless HAWKGRAPH_BUILD_FROM_SOURCE=1: the prebuilt CPU variant (prebuilds/.../hawkgraph.node).
 *   4. The local build (build/Release, then build/Debug). It comes first of the three when the
 *      install step built it (build/hawkgraph-build.json, written by scripts/build-native.js):
 *      HAWKGRAPH_BUILD_FROM_SOURCE=1 at install time is remembered at run time.
 * HAWKGRAPH_VARIANT=cpu skips the CUDA variant; HAWKGRAPH_VARIANT=cuda loads it without the child
 * test and passes over the CPU one. HAWKGRAPH_PREBUILDS names another folder laid out like
 * prebuilds/ (tests use it).
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { HawkgraphError } from '../errors';

export type BinarySource = 'env' | 'prebuild' | 'local-build';
export type BinaryVariant = 'cpu' | 'cuda';

/** A candidate binary the loader passed over, and why. */
export interface RejectedBinary {
  path: string;
  source: BinarySource;
  /** Known for prebuilt variants (from the file name); absent when the file never loaded. */
  variant?: BinaryVariant;
  reason: string;
  /** For the CUDA variant: how its verdict was reached ("child process, 41 ms" or "cached: <file>"). */
  tested?: string;
}

/** The binary that loaded: which file, where it came from, which variant, and what was passed over. */
export interface LoadedBinary {
  path: string;
  source: BinarySource;
  /** 'cuda' when CUDA code is compiled into the binary (it may still find no device). */
  variant: BinaryVariant;
  /** The candidates tried before this one, in order, each with its reason. */
  rejected: RejectedBinary[];
  /**
   * Why this process has no CUDA, as only the loader knows it (the CPU prebuilt was chosen over
   * the CUDA one); absent otherwise. runtime().cuda.status should show this in place of the
   * binary's own "not compiled in" line.
   */
  cudaUnavailable?: string;
  /** For the CUDA prebuilt: how it was found usable ("child process, 41 ms" or "cached: <file>"). */
  tested?: string;
}

/** The prebuilt files of one platform folder; the names are the contract with scripts/build-prebuilds.js. */
export const PREBUILT_FILES: Readonly<Record<BinaryVariant, string>> = { cuda: 'hawkgraph.cuda.node', cpu: 'hawkgraph.node' };

interface Candidate {
  path: string;
  source: BinarySource;
  variant?: BinaryVariant;
  /** Load only after a child process found a usable device. */
  probe?: boolean;
  /** Passed over without trying, for this reason. */
  skip?: string;
}

interface CudaVerdict {
  usable: boolean;
  reason: string;
  tested?: string;
}

// dist/native/loader.js -> the package root.
const packageRoot = path.resolve(__dirname, '..', '..');
const platformDir = `${process.platform}-${process.arch}`;

function envFlag(name: string): boolean {
  const v = process.env[name];
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

function forcedVariant(): BinaryVariant | undefined {
  const v = process.env.HAWKGRAPH_VARIANT?.trim().toLowerCase();
  if (v === undefined || v === '' || v === 'auto') return undefined;
  if (v === 'cpu' || v === 'cuda') return v;
  throw new HawkgraphError('ERR_INVALID_OPTION', `HAWKGRAPH_VARIANT must be cpu, cuda or auto, got ${JSON.stringify(process.env.HAWKGRAPH_VARIANT)}`);
}

function prebuildsRoot(): string {
  const dir = process.env.HAWKGRAPH_PREBUILDS;
  return dir ? path.resolve(dir) : path.join(packageRoot, 'prebuilds');
}

function candidates(): Candidate[] {
  const list: Candidate[] = [];
  const fromEnv = process.env.HAWKGRAPH_NATIVE;
  if (fromEnv) list.push({ path: path.resolve(fromEnv), source: 'env' });
  const fromSource = envFlag('HAWKGRAPH_BUILD_FROM_SOURCE') ? 'HAWKGRAPH_BUILD_FROM_SOURCE=1 chose the local build' : installBuilt();
  const forced = forcedVariant();
  const dir = path.join(prebuildsRoot(), platformDir);
  for (const variant of ['cuda', 'cpu'] as const) {
    const c: Candidate = { path: path.join(dir, PREBUILT_FILES[variant]), source: 'prebuild', variant, probe: variant === 'cuda' && forced !== 'cuda' };
    if (fromSource) c.skip = fromSource;
    else if (forced !== undefined && forced !== variant) c.skip = `HAWKGRAPH_VARIANT=${forced}`;
    list.push(c);
  }
  for (const config of ['Release', 'Debug']) {
    list.push({ path: path.join(packageRoot, 'build', config, 'hawkgraph.node'), source: 'local-build' });
  }
  return list;
}

/** Why the install step built from source, when it did and its build is there. */
function installBuilt(): string | undefined {
  const marker = path.join(packageRoot, 'build', 'hawkgraph-build.json');
  if (!fs.existsSync(path.join(packageRoot, 'build', 'Release', 'hawkgraph.node'))) return undefined;
  try {
    const m = JSON.parse(fs.readFileSync(marker, 'utf8')) as { builtBy?: string; reason?: string };
    return `the install built from source (${m.reason ?? 'reason not recorded'}, ${m.builtBy ?? 'unknown tool'}; ${marker})`;
  } catch {
    return undefined;
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0];
}

// ---- the child-process test of the CUDA variant ------------------------------------------------

// Loads the binary, reads its CUDA report and, when a device is listed, runs the addon's device
// self-test (a kernel launch with copies: it catches a GPU older than every compiled
// architecture, which the device query alone does not).
const PROBE_SCRIPT = `
const addon = require(process.argv[1]);
const cuda = addon.runtime().cuda;
let selfTest;
if (cuda.status === 'ok' && cuda.devices.length > 0 && typeof addon.cudaAxpy === 'function') {
  try {
    const x = new Float32Array([1, 2]), y = new Float32Array([3, 4]);
    addon.cudaAxpy(2, x, y);
    selfTest = y[0] === 5 && y[1] === 8 ? 'ok' : 'wrong result ' + Array.from(y).join(',');
  } catch (e) { selfTest = String(e && e.message || e); }
}
process.stdout.write(JSON.stringify({ compiled: cuda.compiled, status: cuda.status, driverVersion: cuda.driverVersion,
  runtimeVersion: cuda.runtimeVersion, devices: cuda.devices.map((d) => d.name + ' (sm ' + d.computeCapability + ')'), selfTest }));
`;

function cudaVersion(v: number): string {
  return `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;
}

/** Turns the child's report into a verdict a person can act on. */
function judge(report: { compiled: boolean; status: string; driverVersion: number; runtimeVersion: number; devices: string[]; selfTest?: string }): CudaVerdict {
  if (!report.compiled) return { usable: false, reason: 'the binary has no CUDA code compiled in' };
  const s = report.status;
  if (s === 'ok' && report.devices.length > 0) {
    if (report.selfTest !== undefined && report.selfTest !== 'ok') return { usable: false, reason: `the device self-test failed on ${report.devices[0]}: ${report.selfTest}` };
    return { usable: true, reason: `found ${report.devices.join(', ')}` };
  }
  if (s === 'cudaErrorInsufficientDriver') {
    return report.driverVersion === 0
      ? { usable: false, reason: 'no NVIDIA driver found (cudaErrorInsufficientDriver)' }
      : { usable: false, reason: `the NVIDIA driver is too old: it supports CUDA ${cudaVersion(report.driverVersion)}, the binary needs ${cudaVersion(report.runtimeVersion)} (cudaErrorInsufficientDriver)` };
  }
  if (s === 'cudaErrorNoDevice' || s === 'no device' || (s === 'ok' && report.devices.length === 0)) return { usable: false, reason: `no CUDA device (${s === 'ok' ? 'none listed' : s})` };
  return { usable: false, reason: `no usable CUDA device (${s})` };
}

function runProbe(file: string): CudaVerdict {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', PROBE_SCRIPT, file], { encoding: 'utf8', timeout: 60_000, windowsHide: true });
  const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
  if (r.error) return { usable: false, reason: `failed to run the test process: ${firstLine(r.error)}` };
  if (r.status === 0) {
    try {
      const v = judge(JSON.parse(r.stdout));
      return { usable: v.usable, reason: v.reason, tested: `child process, ${ms} ms` };
    } catch {
      // Not JSON: fall through and report the output.
    }
  }
  const how = r.signal ? `was killed by ${r.signal}` : `exited with ${r.status}`;
  const said = (r.stderr || r.stdout || '').split('\n').find((l) => /error|Error|cannot|undefined symbol/.test(l))
    ?? (r.stderr || r.stdout || '').trim().split('\n')[0] ?? '';
  return { usable: false, reason: `failed to load in a child process (it ${how}${said ? `: ${said.trim()}` : ''})`, tested: `child process, ${ms} ms` };
}

// The verdict depends on the binary and on the machine's driver and visible devices; a new
// driver, another GPU set or a rebuilt binary makes a new key. HAWKGRAPH_CACHE_DIR=off disables it.
function probeCacheFile(file: string): string | undefined {
  const dirSetting = process.env.HAWKGRAPH_CACHE_DIR;
  if (dirSetting === 'off' || dirSetting === '0') return undefined;
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return undefined;
  }
  let driver = 'no /proc/driver/nvidia/version';
  try {
    driver = fs.readFileSync('/proc/driver/nvidia/version', 'utf8');
  } catch {
    // No NVIDIA kernel driver loaded (or not Linux): part of the key as it is.
  }
  let devices = '';
  try {
    devices = fs.readdirSync('/dev').filter((d) => d.startsWith('nvidia')).sort().join(',');
  } catch {
    // No /dev: not Linux.
  }
  const key = crypto.createHash('sha256')
    .update([file, st.size, st.mtimeMs, st.ino, driver, devices, process.env.CUDA_VISIBLE_DEVICES ?? '-', process.env.NVIDIA_VISIBLE_DEVICES ?? '-', process.version].join('\n'))
    .digest('hex')
    .slice(0, 32);
  const base = dirSetting ? path.resolve(dirSetting) : path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'hawkgraph');
  return path.join(base, `cuda-verdict-${key}.json`);
}

const verdicts = new Map<string, CudaVerdict>();

function cudaVerdict(file: string): CudaVerdict {
  const known = verdicts.get(file);
  if (known) return known;
  const cacheFile = probeCacheFile(file);
  let verdict: CudaVerdict | undefined;
  if (cacheFile) {
    try {
      const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as CudaVerdict;
      if (typeof cached.usable === 'boolean' && typeof cached.reason === 'string') verdict = { usable: cached.usable, reason: cached.reason, tested: `cached: ${cacheFile}` };
    } catch {
      // No cached verdict yet.
    }
  }
  if (!verdict) {
    verdict = runProbe(file);
    if (cacheFile) {
      try {
        fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
        fs.writeFileSync(cacheFile, JSON.stringify({ usable: verdict.usable, reason: verdict.reason }));
      } catch {
        // A read-only home only costs the child process next time.
      }
    }
  }
  verdicts.set(file, verdict);
  return verdict;
}

// ---- loading ----------------------------------------------------------------------------------

interface LoadableAddon {
  setErrorClass?(errorClass: typeof HawkgraphError): void;
  runtime?(): { cuda?: { compiled?: boolean } };
}

// A prebuilt's variant is its file name; any other binary is asked (for a CUDA build this
// queries the driver once, as runtime() would).
function variantOf(addon: LoadableAddon, c: Candidate): BinaryVariant {
  if (c.variant) return c.variant;
  try {
    return addon.runtime?.().cuda?.compiled ? 'cuda' : 'cpu';
  } catch {
    return 'cpu';
  }
}

function cudaUnavailable(variant: BinaryVariant, c: Candidate, rejected: RejectedBinary[]): string | undefined {
  if (variant !== 'cpu' || c.source !== 'prebuild') return undefined;
  const cuda = rejected.find((r) => r.source === 'prebuild' && r.variant === 'cuda');
  if (!cuda || cuda.reason === 'not found') return `this is the CPU-only prebuilt; this package has no CUDA variant for ${platformDir}`;
  return `this is the CPU-only prebuilt; the CUDA variant was skipped: ${cuda.reason}`;
}

function manifestNote(): string | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(prebuildsRoot(), platformDir, 'manifest.json'), 'utf8')) as { glibc?: string };
    return m.glibc ? `The prebuilt binaries need glibc >= ${m.glibc}` : undefined;
  } catch {
    return undefined;
  }
}

function loadFailure(rejected: RejectedBinary[]): HawkgraphError {
  const fixes: string[] = [];
  const prebuilt = rejected.filter((r) => r.source === 'prebuild');
  const reasons = rejected.map((r) => r.reason).join('\n');
  if (prebuilt.length > 0 && prebuilt.every((r) => r.reason === 'not found')) {
    const none = platformDir === 'linux-x64'
      ? `No prebuilt binary in ${path.join(prebuildsRoot(), platformDir)} (a git checkout, or a package packed without them).`
      : `No prebuilt binary ships for ${platformDir} (the package carries linux-x64, glibc).`;
    fixes.push(`${none} Build from source: \`npm rebuild hawkgraph\` (needs cmake >= 3.20 and a C++17 compiler; nvcc is optional); ` +
      'if npm ran with --ignore-scripts, the build never ran.');
  } else {
    fixes.push('Build from source: `HAWKGRAPH_BUILD_FROM_SOURCE=1 npm rebuild hawkgraph` (needs cmake >= 3.20 and a C++17 compiler; nvcc is optional).');
  }
  if (/GLIBC_|GLIBCXX_|musl|ld-linux/.test(reasons)) {
    fixes.push(`${manifestNote() ?? 'The prebuilt binaries need a newer glibc'} and its libstdc++; on musl (Alpine) or an older distribution, build from source as above.`);
  }
  if (/NODE_MODULE_VERSION|napi|Node-API/i.test(reasons)) fixes.push('Use a Node.js that supports Node-API 8 (Node >= 20.17).');
  if (envFlag('HAWKGRAPH_BUILD_FROM_SOURCE')) fixes.push('Unset HAWKGRAPH_BUILD_FROM_SOURCE to use the prebuilt binaries.');
  if (process.env.HAWKGRAPH_VARIANT) fixes.push(`Unset HAWKGRAPH_VARIANT (now ${process.env.HAWKGRAPH_VARIANT}) to let the loader choose.`);
  fixes.push('Point HAWKGRAPH_NATIVE at a hawkgraph.node built for this platform.');
  const tried = rejected.map((r) => `${r.source}: ${r.path} (${r.variant ? `${r.variant} variant: ` : ''}${r.reason})`);
  return new HawkgraphError(
    'ERR_NATIVE_LOAD',
    `could not load the hawkgraph native addon for ${platformDir} (Node ${process.version}).\n` +
      `Tried:\n${tried.map((a) => `  - ${a}`).join('\n')}\nPossible solutions:\n${fixes.map((f) => `  - ${f}`).join('\n')}`,
  );
}

let loaded: { addon: unknown; binary: LoadedBinary } | undefined;

/** Loads the addon once per process (the first call decides); throws ERR_NATIVE_LOAD listing every attempt. */
export function loadNative(): { addon: unknown; binary: LoadedBinary } {
  if (loaded) return loaded;
  const rejected: RejectedBinary[] = [];
  const reject = (c: Candidate, reason: string, tested?: string) => {
    const r: RejectedBinary = { path: c.path, source: c.source, reason };
    if (c.variant) r.variant = c.variant;
    if (tested !== undefined) r.tested = tested;
    rejected.push(r);
  };
  for (const c of candidates()) {
    if (!fs.existsSync(c.path)) {
      reject(c, 'not found');
      continue;
    }
    if (c.skip) {
      reject(c, c.skip);
      continue;
    }
    let tested: string | undefined;
    if (c.probe) {
      const verdict = cudaVerdict(c.path);
      tested = verdict.tested;
      if (!verdict.usable) {
        reject(c, verdict.reason, verdict.tested);
        continue;
      }
    }
    let addon: LoadableAddon;
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      addon = require(c.path) as LoadableAddon;
      addon.setErrorClass?.(HawkgraphError);
    } catch (err) {
      reject(c, `failed to load: ${firstLine(err)}`);
      continue;
    }
    const variant = variantOf(addon, c);
    const binary: LoadedBinary = { path: c.path, source: c.source, variant, rejected };
    const why = cudaUnavailable(variant, c, rejected);
    if (why !== undefined) binary.cudaUnavailable = why;
    if (tested !== undefined) binary.tested = tested;
    loaded = { addon, binary };
    return loaded;
  }
  throw loadFailure(rejected);
}
