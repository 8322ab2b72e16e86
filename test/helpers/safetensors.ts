/**
 * Test helpers: read and write safetensors files from JS, so tests can corrupt real models
 * field by field and build models of other sizes.
 */
import * as fs from 'node:fs';

export interface Tensor {
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: Map<string, Tensor>;
}

export function readSafetensors(path: string): SafetensorsFile {
  const bytes = fs.readFileSync(path);
  const headerLen = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8'));
  const data = bytes.subarray(8 + headerLen);
  const tensors = new Map<string, Tensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries<any>(header)) {
    if (name === '__metadata__') {
      metadata = entry;
      continue;
    }
    const [b, e] = entry.data_offsets;
    tensors.set(name, { dtype: entry.dtype, shape: entry.shape, data: new Uint8Array(data.subarray(b, e)) });
  }
  return { metadata, tensors };
}

/** Serialises tensors (in insertion order) with optional raw header overrides for corruption tests. */
export function writeSafetensors(file: SafetensorsFile, headerOverride?: (header: any) => any): Uint8Array {
  let offset = 0;
  const header: any = { __metadata__: file.metadata };
  const chunks: Uint8Array[] = [];
  for (const [name, t] of file.tensors) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    chunks.push(t.data);
    offset += t.data.length;
  }
  const finalHeader = headerOverride ? headerOverride(header) : header;
  return assemble(Buffer.from(JSON.stringify(finalHeader), 'utf8'), chunks);
}

export function assemble(headerBytes: Uint8Array, chunks: Uint8Array[]): Uint8Array {
  const dataLen = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(8 + headerBytes.length + dataLen);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function f32(values: ArrayLike<number>, shape: number[]): Tensor {
  return { dtype: 'F32', shape, data: new Uint8Array(new Float32Array(Array.from(values)).buffer) };
}

export function floatsOf(t: Tensor): Float32Array {
  return new Float32Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
}

export function cloneFile(file: SafetensorsFile): SafetensorsFile {
  const tensors = new Map<string, Tensor>();
  for (const [k, t] of file.tensors) tensors.set(k, { dtype: t.dtype, shape: [...t.shape], data: new Uint8Array(t.data) });
  return { metadata: { ...file.metadata }, tensors };
}
