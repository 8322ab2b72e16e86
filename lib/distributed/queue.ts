/** The queue options coordinator and workers share: connection passed through, name, prefix. */
import { describe } from '../errors';
import { optionError as fail } from '../options';
import type { DistributedQueueOptions } from './types';

export const DEFAULT_QUEUE = 'hawkgraph-study';

export function readQueueOptions(o: DistributedQueueOptions) {
  if (o.connection === null || typeof o.connection !== 'object') fail(`connection must be ioredis options or an ioredis instance, got ${describe(o.connection)}`);
  const queueName = o.queueName ?? DEFAULT_QUEUE;
  if (typeof queueName !== 'string' || queueName.length === 0 || queueName.includes(':')) fail(`queueName must be a non-empty string without ':', got ${describe(queueName)}`);
  if (o.prefix !== undefined && (typeof o.prefix !== 'string' || o.prefix.length === 0)) fail(`prefix must be a non-empty string, got ${describe(o.prefix)}`);
  return { connection: o.connection, queueName, prefix: o.prefix };
}

/** ioredis options from a redis:// or rediss:// URL (the CLI's --redis). */
export function connectionFromUrl(url: string): Record<string, unknown> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return fail(`--redis must be a URL such as redis://127.0.0.1:6379, got ${describe(url)}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') fail(`--redis must be a redis:// or rediss:// URL, got ${describe(url)}`);
  const out: Record<string, unknown> = { host: u.hostname || '127.0.0.1', port: u.port ? Number(u.port) : 6379 };
  if (u.username) out.username = decodeURIComponent(u.username);
  if (u.password) out.password = decodeURIComponent(u.password);
  const db = u.pathname.replace(/^\//, '');
  if (db !== '') {
    if (!/^\d+$/.test(db)) fail(`--redis: the database in the URL path must be a number, got ${describe(db)}`);
    out.db = Number(db);
  }
  if (u.protocol === 'rediss:') out.tls = {};
  return out;
}
