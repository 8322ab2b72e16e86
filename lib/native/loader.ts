/**
 * Finds and loads the native binary: $HAWKGRAPH_NATIVE, a prebuild for this platform, the local
 * build. When nothing loads, one HawkgraphError lists every attempt and how to fix it. The only
 * file that knows where binaries live; it returns the addon untyped (lib/native/index.ts types it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { HawkgraphError } from '../errors';

export interface LoadedBinary {
  path: string;
  source: 'env' | 'prebuild' | 'local-build';
}

// dist/native/loader.js -> the package root.
const packageRoot = path.resolve(__dirname, '..', '..');

function candidates(): LoadedBinary[] {
  const list: LoadedBinary[] = [];
  const fromEnv = process.env.HAWKGRAPH_NATIVE;
  if (fromEnv) list.push({ path: path.resolve(fromEnv), source: 'env' });
  const prebuildDir = path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`);
  if (fs.existsSync(prebuildDir)) {
    const files = fs.readdirSync(prebuildDir).filter((f) => f.endsWith('.node'));
    files.sort((a, b) => Number(b.includes('napi')) - Number(a.includes('napi')));
    for (const f of files) list.push({ path: path.join(prebuildDir, f), source: 'prebuild' });
  } else {
    list.push({ path: path.join(prebuildDir, '*.node'), source: 'prebuild' });
  }
  for (const config of ['Release', 'Debug']) {
    list.push({ path: path.join(packageRoot, 'build', config, 'hawkgraph.node'), source: 'local-build' });
  }
  return list;
}

function loadFailure(attempts: string[]): HawkgraphError {
  const fixes = [
    'Rebuild from source: `npm rebuild hawkgraph` (needs cmake >= 3.20 and a C++17 compiler; nvcc is optional).',
    'Check that the Node.js version supports Node-API 8 (Node >= 20.17).',
    'Point HAWKGRAPH_NATIVE at a hawkgraph.node built for this platform.',
  ];
  return new HawkgraphError(
    'ERR_NATIVE_LOAD',
    `could not load the hawkgraph native addon for ${process.platform}-${process.arch} (Node ${process.version}).\n` +
      `Tried:\n${attempts.map((a) => `  - ${a}`).join('\n')}\nPossible solutions:\n${fixes.map((f) => `  - ${f}`).join('\n')}`,
  );
}

// The addon's one loading-time call: native code throws the very class users catch.
interface LoadableAddon {
  setErrorClass(errorClass: typeof HawkgraphError): void;
}

let loaded: { addon: unknown; binary: LoadedBinary } | undefined;

/** Loads the addon once (later calls return the same object); throws ERR_NATIVE_LOAD. */
export function loadNative(): { addon: unknown; binary: LoadedBinary } {
  if (loaded) return loaded;
  const attempts: string[] = [];
  for (const c of candidates()) {
    if (!fs.existsSync(c.path)) {
      attempts.push(`${c.source}: ${c.path} (not found)`);
      continue;
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const addon = require(c.path) as LoadableAddon;
      addon.setErrorClass(HawkgraphError);
      loaded = { addon, binary: c };
      return loaded;
    } catch (err) {
      attempts.push(`${c.source}: ${c.path} (${(err as Error).message.split('\n')[0]})`);
    }
  }
  throw loadFailure(attempts);
}
