/**
 * Best-of-N statistics as in MCVD's evaluation (docs/mcvd-reference.md §10, `runners/ncsn_runner.py`): every test
 * clip is sampled N times; per clip the best sample counts (min MSE, max PSNR, max SSIM), then
 * the per-clip values are summarised by mean, std and a 95% confidence half-width.
 */

/** z such that P(|Z| < z) = 0.95 for a standard normal (scipy `norm.ppf(0.975)`). */
export const Z95 = 1.959963984540054;

export interface Summary {
  /** Number of clips. */
  n: number;
  mean: number;
  /** Population standard deviation (ddof 0), as MCVD reports it (`numpy.ndarray.std()`). */
  std: number;
  /**
   * Half-width of the normal 95% interval of the mean: `Z95 · s / √n` with the sample std
   * `s` (ddof 1), which is MCVD's `mean - norm.interval(0.95, loc=mean, scale=sem)[0]`.
   */
  ci95: number;
}

/** mean / std (ddof 0) / 95% half-width (normal, sem with ddof 1) of `values`. */
export function summarize(values: ArrayLike<number>): Summary {
  const n = values.length;
  if (n === 0) throw new Error('summarize: no values');
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  const std = Math.sqrt(ss / n);
  const ci95 = n > 1 ? (Z95 * Math.sqrt(ss / (n - 1))) / Math.sqrt(n) : NaN;
  return { n, mean, std, ci95 };
}

/**
 * Per-clip best of `samplesPerClip` consecutive values (clip-major, MCVD's
 * `reshape(-1, N).max(-1)` layout): `mode 'max'` for PSNR/SSIM, `'min'` for MSE/LPIPS.
 */
export function bestOfN(values: ArrayLike<number>, samplesPerClip: number, mode: 'max' | 'min'): Float64Array {
  if (!Number.isInteger(samplesPerClip) || samplesPerClip < 1) {
    throw new Error(`bestOfN: samplesPerClip must be a positive integer, got ${samplesPerClip}`);
  }
  if (values.length % samplesPerClip !== 0) {
    throw new Error(`bestOfN: ${values.length} values is not a whole number of clips of ${samplesPerClip} samples`);
  }
  if (mode !== 'max' && mode !== 'min') throw new Error(`bestOfN: mode must be 'max' or 'min', got ${String(mode)}`);
  const clips = values.length / samplesPerClip;
  const out = new Float64Array(clips);
  for (let c = 0; c < clips; c++) {
    let best = values[c * samplesPerClip];
    for (let k = 1; k < samplesPerClip; k++) {
      const v = values[c * samplesPerClip + k];
      if (mode === 'max' ? v > best : v < best) best = v;
    }
    out[c] = best;
  }
  return out;
}

export interface BestOfNInput {
  /** Per-sample video MSE (frame-averaged), clip-major with N consecutive samples per clip. */
  mse: ArrayLike<number>;
  /** Per-sample video SSIM (frame-averaged), same layout. */
  ssim?: ArrayLike<number>;
  /** Optional second SSIM (e.g. the uniform-7 window). */
  ssim_uniform7?: ArrayLike<number>;
}

export interface BestOfNReport {
  samplesPerClip: number;
  mse: Summary;
  /** PSNR per sample is `10·log10(1/mse)`; best = max. */
  psnr: Summary;
  ssim?: Summary;
  ssim_uniform7?: Summary;
}

/** The paper's table entries: best of N per clip, then mean / std / 95% CI over clips. */
export function bestOfNReport(input: BestOfNInput, samplesPerClip: number): BestOfNReport {
  const psnr = Array.from(input.mse, (m) => 10 * Math.log10(1 / m));
  const report: BestOfNReport = {
    samplesPerClip,
    mse: summarize(bestOfN(input.mse, samplesPerClip, 'min')),
    psnr: summarize(bestOfN(psnr, samplesPerClip, 'max')),
  };
  for (const key of ['ssim', 'ssim_uniform7'] as const) {
    const v = input[key];
    if (!v) continue;
    if (v.length !== input.mse.length) {
      throw new Error(`bestOfNReport: ${key} has ${v.length} values but mse has ${input.mse.length}`);
    }
    report[key] = summarize(bestOfN(v, samplesPerClip, 'max'));
  }
  return report;
}
