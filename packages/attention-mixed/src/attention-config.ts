import { checkPositiveInt } from '@evdm/core';
import type { FavorStabilizer } from './favor-attention';

/** Which attention algorithm a block runs. */
export type AttentionMode = 'softmax' | 'favor' | 'gate';

/**
 * When FAVOR+'s random projection is redrawn.
 * - `fixed`: never; the stored buffer is always used (default; reproducible sampling).
 * - `every-n`: while training, the projection of redraw epoch `floor(step / n)` is used (drawn
 *   deterministically from the block seed and the epoch); at inference the stored buffer.
 *   Performer-pytorch's default is n = 1000. Call `syncProjection` to store the current one.
 * - `per-call`: every call (training or not) draws the projection for `ctx.step`.
 */
export type RedrawPolicy = { policy: 'fixed' } | { policy: 'every-n'; n: number } | { policy: 'per-call' };

export interface SpatialSelfAttentionConfig {
  /** Parameter-name prefix (e.g. `down.1.attn.0`). */
  name: string;
  /** Channels C of the input and output. */
  channels: number;
  /**
   * Channels per head d (MCVD `n_head_channels`): heads = C / d. As in MCVD, C < d means one
   * head of width C. Must divide C otherwise.
   */
  headChannels: number;
  /** `softmax` (MCVD), `favor` (FAVOR+ always) or `gate` (paper Eq. 14: FAVOR+ iff L > λ·d). Default 'softmax'. */
  mode?: AttentionMode;
  /** λ of the gate, > 0 (the paper uses 2 and requires λ > 1). Default 2. */
  lambda?: number;
  /**
   * FAVOR+ random features m per head: a positive integer, `'half-head'` = d/2 (what the paper's
   * FLOP tables imply), or `'d-log-d'` = round(d·ln d) (Performer's default). Default 'half-head'.
   */
  features?: number | 'half-head' | 'd-log-d';
  /** Feature redraw policy. Default `{ policy: 'fixed' }`. */
  redraw?: RedrawPolicy;
  /** GroupNorm epsilon (MCVD attention: 1e-6). */
  eps?: number;
  /**
   * Max subtracted inside FAVOR+'s `exp` (see `FavorOptions.stabilize`). Default 'exponent'
   * (nothing overflows; exact in value and gradient when `favorEpsilon` is 0).
   */
  stabilize?: FavorStabilizer;
  /**
   * FAVOR+ feature epsilon. Default 0 (unbiased). Performer's code adds 1e-4; with d = 96 that
   * swamps the features and pulls the output towards uniform attention (see README), and makes the
   * gradient-stopped max change the function. Use `{ stabilize: 'performer', favorEpsilon: 1e-4 }`
   * for parity with performer-pytorch.
   */
  favorEpsilon?: number;
  /** Seed of the random projection (mixed with `name`, so blocks differ). Default 0. */
  featureSeed?: number;
}

export type ResolvedAttentionConfig = Required<Omit<SpatialSelfAttentionConfig, 'features'>> & {
  /** Resolved feature count m. */
  features: number;
  /** The option as given (kept for serialisation). */
  featuresOption: number | 'half-head' | 'd-log-d';
  heads: number;
  headDim: number;
};

/**
 * Fills defaults and validates; every error names the block and the bad field.
 * @deprecated as a public export: use `SpatialSelfAttention.resolve` (the config idiom: `resolve` / `toJSON` / `fromJSON`).
 */
export function resolveConfig(cfg: SpatialSelfAttentionConfig): ResolvedAttentionConfig {
  if (!cfg || typeof cfg !== 'object') throw new Error('SpatialSelfAttention: config object required');
  const who = `SpatialSelfAttention "${cfg.name}"`;
  if (typeof cfg.name !== 'string' || cfg.name.length === 0)
    throw new Error('SpatialSelfAttention: config.name must be a non-empty string');
  const { channels, headChannels } = cfg;
  checkPositiveInt(who, 'channels', channels);
  checkPositiveInt(who, 'headChannels', headChannels);
  if (channels >= headChannels && channels % headChannels !== 0) {
    throw new Error(
      `${who}: headChannels ${headChannels} does not divide channels ${channels} (heads = channels / headChannels must be an integer)`,
    );
  }
  const heads = channels < headChannels ? 1 : channels / headChannels;
  const headDim = channels / heads;
  const mode = cfg.mode ?? 'softmax';
  if (mode !== 'softmax' && mode !== 'favor' && mode !== 'gate') {
    throw new Error(`${who}: mode must be 'softmax', 'favor' or 'gate', got ${String(mode)}`);
  }
  const lambda = cfg.lambda ?? 2;
  if (typeof lambda !== 'number' || !Number.isFinite(lambda) || lambda <= 0) {
    throw new Error(`${who}: lambda must be a finite number > 0, got ${lambda}`);
  }
  const featuresOption = cfg.features ?? 'half-head';
  let features: number;
  if (featuresOption === 'half-head') features = Math.max(1, Math.floor(headDim / 2));
  else if (featuresOption === 'd-log-d') features = Math.max(1, Math.round(headDim * Math.log(headDim)));
  else if (Number.isInteger(featuresOption) && featuresOption >= 1) features = featuresOption;
  else throw new Error(`${who}: features must be a positive integer, 'half-head' or 'd-log-d', got ${String(featuresOption)}`);
  const redraw = cfg.redraw ?? { policy: 'fixed' };
  if (redraw.policy === 'every-n') {
    if (!Number.isInteger(redraw.n) || redraw.n < 1)
      throw new Error(`${who}: redraw.n must be a positive integer for policy 'every-n', got ${redraw.n}`);
  } else if (redraw.policy !== 'fixed' && redraw.policy !== 'per-call') {
    throw new Error(
      `${who}: redraw.policy must be 'fixed', 'every-n' or 'per-call', got ${String((redraw as { policy: unknown }).policy)}`,
    );
  }
  const eps = cfg.eps ?? 1e-6;
  if (!(eps > 0)) throw new Error(`${who}: eps (GroupNorm) must be > 0, got ${eps}`);
  const stabilize = cfg.stabilize ?? 'exponent';
  if (stabilize !== 'none' && stabilize !== 'performer' && stabilize !== 'exponent') {
    throw new Error(`${who}: stabilize must be 'none', 'performer' or 'exponent', got ${String(stabilize)}`);
  }
  const favorEpsilon = cfg.favorEpsilon ?? 0;
  if (!(favorEpsilon >= 0) || !Number.isFinite(favorEpsilon))
    throw new Error(`${who}: favorEpsilon must be a finite number >= 0, got ${favorEpsilon}`);
  const featureSeed = cfg.featureSeed ?? 0;
  if (!Number.isInteger(featureSeed)) throw new Error(`${who}: featureSeed must be an integer, got ${featureSeed}`);
  return {
    name: cfg.name,
    channels,
    headChannels,
    mode,
    lambda,
    features,
    featuresOption,
    redraw,
    eps,
    stabilize,
    favorEpsilon,
    featureSeed,
    heads,
    headDim,
  };
}
