import type { Rng } from './rng';

/**
 * Variance-scaling initialiser as MCVD's `default_init(scale)` (docs/mcvd-reference.md §5): mode fan_avg, uniform,
 * `limit = sqrt(3·scale / ((fanIn + fanOut) / 2))`; scale 0 becomes 1e-10 (effectively zero).
 * `fanIn = cin·k·k`, `fanOut = cout·k·k` for convs.
 */
export function varianceScalingUniform(n: number, fanIn: number, fanOut: number, scale: number, rng: Rng): Float32Array {
  if (!(fanIn > 0 && fanOut > 0)) throw new Error(`varianceScalingUniform: bad fans ${fanIn}, ${fanOut}`);
  const s = scale === 0 ? 1e-10 : scale;
  const limit = Math.sqrt((3 * s) / ((fanIn + fanOut) / 2));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.uniform() * 2 - 1) * limit;
  return out;
}

/** fan_in / fan_out of a TF kernel shape: `[kh, kw, cin, cout]` (conv) or `[in, out]` (dense / NIN). */
export function fans(shape: number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 2) return { fanIn: shape[0], fanOut: shape[1] };
  if (shape.length === 4) {
    const rf = shape[0] * shape[1];
    return { fanIn: shape[2] * rf, fanOut: shape[3] * rf };
  }
  throw new Error(`fans: expected a 2-D or 4-D kernel shape, got [${shape}]`);
}
