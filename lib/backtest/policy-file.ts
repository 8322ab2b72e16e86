/**
 * Reading a policy file from a path: a regular file of at most LIMITS.maxPolicyBytes, opened
 * without blocking (a FIFO is refused, /dev/zero never read to its end). ERR_POLICY says why.
 */
import * as fs from 'node:fs';

import { HawkgraphError } from '../errors';
import { LIMITS } from '../native/layouts';

const MAX_POLICY_BYTES = LIMITS.maxPolicyBytes;

export function readPolicyFile(path: string): Uint8Array {
  const refuse = (why: string): never => {
    throw new HawkgraphError('ERR_POLICY', `strategy.policy: cannot read ${JSON.stringify(path)} (${why})`);
  };
  let fd: number;
  try {
    // Non-blocking, so opening a FIFO returns at once (and is then refused as not a file).
    fd = fs.openSync(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    return refuse((err as Error).message);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) refuse('not a regular file');
    if (st.size > MAX_POLICY_BYTES) refuse(`${st.size} bytes, more than a policy file can hold (${MAX_POLICY_BYTES})`);
    const bytes = new Uint8Array(st.size);
    let at = 0;
    while (at < bytes.length) {
      const n = fs.readSync(fd, bytes, at, bytes.length - at, at);
      if (n === 0) break;
      at += n;
    }
    return at === bytes.length ? bytes : bytes.subarray(0, at);
  } catch (err) {
    if (err instanceof HawkgraphError) throw err;
    return refuse((err as Error).message);
  } finally {
    fs.closeSync(fd);
  }
}
