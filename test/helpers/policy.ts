/**
 * Test helper: a small ReLU MLP policy as safetensors bytes (layers.<i>.weight [out, in],
 * layers.<i>.bias [out], input normalisation in the metadata), with deterministic weights.
 */
import { f32, writeSafetensors, type Tensor } from './safetensors';

export function policyFile(options: { hidden?: number[]; seed?: number; metadata?: Record<string, string>; scale?: number; dtype?: 'F32' | 'F64' } = {}): Uint8Array {
  const hidden = options.hidden ?? [64, 64];
  let a = (options.seed ?? 1) >>> 0;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  const widths = [3, ...hidden, 2];
  const tensors = new Map<string, Tensor>();
  const scale = options.scale ?? 0.5;
  for (let l = 0; l + 1 < widths.length; l++) {
    const w = Array.from({ length: widths[l + 1] * widths[l] }, () => rnd() * scale);
    const b = Array.from({ length: widths[l + 1] }, () => rnd() * 0.1);
    // F64 holds the same (float32-representable) values, so either file gives the same network.
    const make = (v: number[], shape: number[]): Tensor =>
      options.dtype === 'F64' ? { dtype: 'F64', shape, data: new Uint8Array(new Float64Array(new Float32Array(v)).buffer) } : f32(v, shape);
    tensors.set(`layers.${l}.weight`, make(w, [widths[l + 1], widths[l]]));
    tensors.set(`layers.${l}.bias`, make(b, [widths[l + 1]]));
  }
  const metadata = {
    input_mean: '[0, 2, 0]',
    input_std: '[5, 2, 10]',
    output_activation: 'tanh',
    output_scale: '[2, 2]',
    output_offset: '[2, 2]',
    ...(options.metadata ?? {}),
  };
  return writeSafetensors({ metadata, tensors });
}
