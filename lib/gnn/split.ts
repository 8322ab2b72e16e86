/**
 * The A/B split's route of a symbol: a fraction in [0, 1) fixed by its name alone, so the same
 * symbols go to model B in every process and run. FNV-1a (32-bit) over the name's UTF-8 bytes,
 * then murmur3's 32-bit finaliser (FNV alone leaves names that differ in their last character
 * close together), divided by 2^32.
 */
const encoder = new TextEncoder();

export function symbolRoute(symbol: string): number {
  let h = 0x811c9dc5;
  for (const byte of encoder.encode(symbol)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}
