/**
 * Typed network configuration for the MCVD baseline and the EVDM family, validated at the edge.
 * Defaults are the paper's (EVDM §4.3) and MCVD's (docs/mcvd-reference.md §1): ch_mult [1,2,3,4], 2 res blocks
 * per level, attention at 32/16/8 px, head width = C0, dropout 0.1, 64x64 frames.
 */
import { failWith, type Fail } from '@evdm/core';
import { residualBlockArchs } from './residual-blocks';

export type AttentionMode = 'softmax' | 'favor' | 'gate';

/** `NetworkConfig.arch`: the built-in block families, or one added with `registerResidualBlock`. */
export type Arch = 'mcvd' | 'evdm' | (string & {});

export interface BrpOptions {
  /** Bottleneck ratio δ (paper §3.2: 4 for EVDM, 8 for EVDM-L). */
  delta: number;
  /** BRP-eh: enhance the bottleneck GroupNorm with the embedding (Eq. 9). */
  temporalEnhancement: boolean;
  /** Three-path channel split (§3.4, Fig. 2). */
  channelSplit: boolean;
  /** Shortcut optimisation: grouped 1x1 shortcut with this many groups + channel shuffle (§3.4); 1 = off. */
  shortcutGroups: number;
  /** Width of the enhancement Linear: T→2C, or T→C (docs/evdm-reconstruction.md §4, Table 2). */
  enhancementWidth: '2C' | 'C';
  /** Activation before the bottleneck conv: 'relu' as Eq. 9 writes it, or MCVD's 'silu'. */
  activation: 'relu' | 'silu';
}

export interface AttentionOptions {
  /** softmax = plain attention; favor = FAVOR+ in every block; gate = Eq. 14 per layer. */
  mode: AttentionMode;
  /** λ of the gate `L > λ·d` (paper: 2). */
  lambda: number;
  /** FAVOR+ random features: a number, or 'half-head' (= d/2, what the paper's tables imply). */
  features: number | 'half-head';
}

export interface NetworkConfig {
  /** 'mcvd': BigGAN-style residual blocks (baseline). 'evdm': Bottleneck Residual Pathways. Others: `registerResidualBlock`. */
  arch: Arch;
  baseChannels: number;
  channelMult: number[];
  numResBlocks: number;
  attnResolutions: number[];
  imageSize: number;
  imageChannels: number;
  pastFrames: number;
  currentFrames: number;
  futureFrames: number;
  headChannels: number;
  dropout: number;
  /** MCVD "spatin" variant: conditioning through SPADE norms instead of input concat (UCF-101 baseline). */
  spade: { hiddenChannels: number } | null;
  brp: BrpOptions | null;
  attention: AttentionOptions;
  /** Which timestep numbering the network's embedding sees: MCVD labels (0 = noisiest) or DDPM t. */
  timestepConvention: 'mcvd' | 'ddpm';
}

export type NetworkConfigInput = Partial<Omit<NetworkConfig, 'brp' | 'attention'>> & {
  arch: Arch;
  brp?: Partial<BrpOptions> | null;
  attention?: Partial<AttentionOptions>;
};

export const DEFAULT_BRP: BrpOptions = {
  delta: 4,
  temporalEnhancement: true,
  channelSplit: false,
  shortcutGroups: 1,
  enhancementWidth: '2C',
  activation: 'relu',
};

const fail: Fail = failWith('invalid network config');

function posInt(v: unknown, key: string, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    fail(`${key} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

/** Fills defaults and validates; every error names the offending key and value. */
export function resolveNetworkConfig(input: NetworkConfigInput): NetworkConfig {
  if (!input || typeof input !== 'object') fail('expected an object');
  const known = new Set([
    'arch',
    'baseChannels',
    'channelMult',
    'numResBlocks',
    'attnResolutions',
    'imageSize',
    'imageChannels',
    'pastFrames',
    'currentFrames',
    'futureFrames',
    'headChannels',
    'dropout',
    'spade',
    'brp',
    'attention',
    'timestepConvention',
  ]);
  for (const k of Object.keys(input)) if (!known.has(k)) fail(`unknown key "${k}"`);
  const archs = residualBlockArchs();
  if (!archs.includes(input.arch))
    fail(`arch must be ${archs.map((a) => JSON.stringify(a)).join(' or ')}, got ${JSON.stringify(input.arch)}`);
  const baseChannels = posInt(input.baseChannels ?? 64, 'baseChannels');
  const channelMult = input.channelMult ?? [1, 2, 3, 4];
  if (!Array.isArray(channelMult) || channelMult.length < 1) fail('channelMult must be a non-empty array');
  channelMult.forEach((m, i) => posInt(m, `channelMult[${i}]`));
  const imageSize = posInt(input.imageSize ?? 64, 'imageSize');
  if (imageSize % 2 ** (channelMult.length - 1) !== 0) {
    fail(`imageSize ${imageSize} must be divisible by 2^(levels-1) = ${2 ** (channelMult.length - 1)}`);
  }
  const cfg: NetworkConfig = {
    arch: input.arch,
    baseChannels,
    channelMult,
    numResBlocks: posInt(input.numResBlocks ?? 2, 'numResBlocks'),
    attnResolutions: input.attnResolutions ?? [32, 16, 8],
    imageSize,
    imageChannels: posInt(input.imageChannels ?? 1, 'imageChannels'),
    pastFrames: posInt(input.pastFrames ?? 0, 'pastFrames', 0),
    currentFrames: posInt(input.currentFrames ?? 5, 'currentFrames'),
    futureFrames: posInt(input.futureFrames ?? 0, 'futureFrames', 0),
    headChannels: posInt(input.headChannels ?? baseChannels, 'headChannels'),
    dropout: input.dropout ?? 0.1,
    spade: input.spade ?? null,
    brp: null,
    attention: { mode: 'softmax', lambda: 2, features: 'half-head', ...(input.attention ?? {}) },
    timestepConvention: input.timestepConvention ?? 'mcvd',
  };
  if (!(cfg.dropout >= 0 && cfg.dropout < 1)) fail(`dropout must be in [0, 1), got ${cfg.dropout}`);
  if (cfg.timestepConvention !== 'mcvd' && cfg.timestepConvention !== 'ddpm') {
    fail(`timestepConvention must be "mcvd" or "ddpm", got ${JSON.stringify(cfg.timestepConvention)}`);
  }
  const levels = channelMult.map((_, i) => imageSize / 2 ** i);
  for (const r of cfg.attnResolutions) {
    if (!levels.includes(r)) fail(`attnResolutions entry ${r} is not a level resolution (${levels.join(', ')})`);
  }
  const { mode, lambda, features } = cfg.attention;
  if (!['softmax', 'favor', 'gate'].includes(mode))
    fail(`attention.mode must be softmax, favor or gate, got ${JSON.stringify(mode)}`);
  if (!(typeof lambda === 'number' && lambda > 0)) fail(`attention.lambda must be > 0, got ${lambda}`);
  if (features !== 'half-head') posInt(features, 'attention.features');
  if (cfg.spade) {
    if (cfg.arch !== 'mcvd') fail('spade is only defined for the MCVD baseline');
    posInt(cfg.spade.hiddenChannels, 'spade.hiddenChannels');
    if (cfg.pastFrames + cfg.futureFrames === 0) fail('spade needs conditioning frames (pastFrames + futureFrames > 0)');
  }
  if (cfg.arch === 'evdm') {
    const b = { ...DEFAULT_BRP, ...(input.brp ?? {}) };
    posInt(b.delta, 'brp.delta');
    posInt(b.shortcutGroups, 'brp.shortcutGroups');
    if (b.enhancementWidth !== '2C' && b.enhancementWidth !== 'C') fail(`brp.enhancementWidth must be "2C" or "C"`);
    if (b.activation !== 'relu' && b.activation !== 'silu')
      fail(`brp.activation must be "relu" or "silu", got ${JSON.stringify(b.activation)}`);
    for (const m of channelMult) {
      const w = baseChannels * m;
      if (w % b.delta !== 0) fail(`brp.delta ${b.delta} must divide every level width (${w} = ${baseChannels}x${m})`);
      if (w % b.shortcutGroups !== 0) fail(`brp.shortcutGroups ${b.shortcutGroups} must divide every level width (${w})`);
    }
    cfg.brp = b;
  } else if (input.brp) {
    fail('brp options need arch "evdm"');
  }
  return cfg;
}

/** Input channels of the first conv: `[x_t, past, future]` stacked frame-major (docs/mcvd-reference.md §2). */
export function inputChannels(cfg: NetworkConfig): number {
  const frames = cfg.spade ? cfg.currentFrames : cfg.currentFrames + cfg.pastFrames + cfg.futureFrames;
  return frames * cfg.imageChannels;
}

export function outputChannels(cfg: NetworkConfig): number {
  return cfg.currentFrames * cfg.imageChannels;
}

export function condChannels(cfg: NetworkConfig): number {
  return (cfg.pastFrames + cfg.futureFrames) * cfg.imageChannels;
}
