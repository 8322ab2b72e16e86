/**
 * Optional peer dependencies (bullmq, prom-client), required on first use: a user who never needs
 * one neither installs it nor pays for loading it. A missing or broken one is ERR_MISSING_DEPENDENCY
 * with the ways out. Depends on errors.ts only.
 */
import { HawkgraphError } from './errors';

const loaded = new Map<string, unknown>();

/** `require(name)` once; `need` says what needs it, `solutions` the ways out after installing it. */
export function optionalDependency<T>(name: string, range: string, need: string, solutions: string[]): T {
  if (loaded.has(name)) return loaded.get(name) as T;
  let module: T;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    module = require(name) as T;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException)?.code === 'MODULE_NOT_FOUND';
    const why = missing ? 'is not installed' : `failed to load (${String((err as Error)?.message).split('\n')[0]})`;
    throw new HawkgraphError(
      'ERR_MISSING_DEPENDENCY',
      `${need} needs the package ${name}, which ${why}. Possible solutions:\n` +
        [`install it beside hawkgraph: npm install ${name}@${range}`, ...solutions].map((s) => `- ${s}`).join('\n'),
      { cause: err },
    );
  }
  loaded.set(name, module);
  return module;
}
