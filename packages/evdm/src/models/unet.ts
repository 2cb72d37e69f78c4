import * as tf from '@tensorflow/tfjs-core';
import { affineNorm, affineNormSpecs, conv, conv2dMacs, convSpecs, dense, denseSpecs, silu } from '@evdm/core';
import { groupNorm, groupNormFlops, mcvdGroupCount, parseConfigJson } from '@evdm/core';
import type { Configurable, FlopEntry, ParamReader, ParamSpec, ResidualBlock } from '@evdm/core';
import { spadeFlops, spadeNorm, spadeSpecs } from '@evdm/layers-brp';
import { SpatialSelfAttention } from '@evdm/attention-mixed';
import {
  condChannels,
  inputChannels,
  outputChannels,
  resolveNetworkConfig,
  type NetworkConfig,
  type NetworkConfigInput,
} from './network-config';
import { rematerialized } from './rematerialize';
import { makeResidualBlock } from './residual-blocks';
import { timestepEmbedding } from './timestep-embedding';
import { TembLinearBank } from './temb-linear-bank';

/** Where a module's cost is reported (Table 1 rows): residual blocks, attention, or neither. */
export type ModuleGroup = 'block' | 'attention' | 'stem' | 'temb';

/** One module of the U-Net in execution order, with its U-Net stage (1-based level) and input size. */
export interface UNetModule {
  name: string;
  group: ModuleGroup;
  /** MCVD "stage" level (1..levels); null for the time MLP. */
  level: number | null;
  /** Input resolution. */
  resolution: number;
  specs: ParamSpec[];
  flops(batch: number): FlopEntry[];
}

export interface UNetContext {
  training?: boolean;
  /** Base seed of dropout and FAVOR+ feature redraws in this call. */
  seed?: number;
  /** Optimiser step (FAVOR+ 'every-n' redraw policy). */
  step?: number;
  /**
   * Gradient checkpointing: blocks and attention layers keep only their inputs for the backward
   * pass and recompute the rest (~1/3 more compute, a fraction of the activation memory). Use it
   * when a network does not fit memory (e.g. the BAIR / UCF-101 presets in wasm's 4 GB heap).
   */
  rematerialize?: boolean;
}

type BlockStep =
  | { kind: 'block'; block: ResidualBlock; pop: boolean; push: boolean; index: number; paramNames: string[] }
  | { kind: 'attention'; attn: SpatialSelfAttention; push: boolean; index: number; paramNames: string[] };

/**
 * The denoising U-Net of MCVD (docs/mcvd-reference.md §3) with either MCVD residual blocks or EVDM's Bottleneck
 * Residual Pathways (docs/evdm-reconstruction.md §1-2), and plain / FAVOR+ / gated attention.
 * `apply(read, xt, t, cond)` predicts ε for the current frames; NHWC, frames stacked in channels.
 */
export class DenoisingUNet {
  readonly config: NetworkConfig;
  readonly modules: UNetModule[] = [];
  private readonly steps: BlockStep[] = [];
  private readonly tembWidth: number;
  /** Every block's Linears on SiLU(temb), run as one matmul at inference (temb-linear-bank.ts). */
  private readonly tembBank: TembLinearBank;

  /** Fills defaults and validates a network config (errors name the key and value): the full config of `toJSON()`. */
  static resolve(input: NetworkConfigInput): NetworkConfig {
    return resolveNetworkConfig(input);
  }

  static fromJSON(json: unknown): DenoisingUNet {
    return new DenoisingUNet(parseConfigJson('DenoisingUNet', json) as NetworkConfigInput);
  }

  /** The full network config as plain JSON data; `fromJSON` of it builds the same network. */
  toJSON(): NetworkConfig {
    return structuredClone(this.config);
  }

  constructor(input: NetworkConfigInput | NetworkConfig) {
    const cfg = resolveNetworkConfig(input as NetworkConfigInput);
    this.config = cfg;
    const ngf = cfg.baseChannels;
    const T = 4 * ngf;
    this.tembWidth = T;
    const levels = cfg.channelMult.length;
    const width = (i: number) => ngf * cfg.channelMult[i];

    this.modules.push(denseModule('temb/dense0', ngf, T, null));
    this.modules.push(denseModule('temb/dense1', T, T, null));
    this.modules.push(convModule('conv_in', inputChannels(cfg), ngf, 3, 1, cfg.imageSize, 'stem'));

    const skips: number[] = [ngf];
    let res = cfg.imageSize;
    let ch = ngf;
    let index = 0;
    const addBlock = (
      name: string,
      cin: number,
      cout: number,
      level: number,
      resample: 'none' | 'up' | 'down',
      pop: boolean,
      push: boolean,
    ) => {
      const block = makeResidualBlock({ name, inChannels: cin, outChannels: cout, tembChannels: this.tembWidth, resample }, cfg);
      const r = res;
      this.modules.push({
        name,
        group: 'block',
        level,
        resolution: r,
        specs: block.paramSpecs(),
        flops: (b) => block.flops(b, r, r),
      });
      this.steps.push({ kind: 'block', block, pop, push, index: index++, paramNames: block.paramSpecs().map((p) => p.name) });
    };
    const addAttention = (name: string, c: number, level: number, push: boolean) => {
      const attn = new SpatialSelfAttention({
        name,
        channels: c,
        headChannels: cfg.headChannels,
        mode: cfg.attention.mode,
        lambda: cfg.attention.lambda,
        features: cfg.attention.features,
      });
      const r = res;
      this.modules.push({
        name,
        group: 'attention',
        level,
        resolution: r,
        specs: attn.paramSpecs(),
        flops: (b) => attn.flops(b, r, r),
      });
      this.steps.push({ kind: 'attention', attn, push, index: index++, paramNames: attn.paramSpecs().map((p) => p.name) });
    };

    for (let i = 0; i < levels; i++) {
      const hasAttn = cfg.attnResolutions.includes(res);
      for (let j = 0; j < cfg.numResBlocks; j++) {
        addBlock(`down.${i}.block.${j}`, ch, width(i), i + 1, 'none', false, !hasAttn);
        ch = width(i);
        if (hasAttn) addAttention(`down.${i}.attn.${j}`, ch, i + 1, true);
        skips.push(ch);
      }
      if (i < levels - 1) {
        addBlock(`down.${i}.downsample`, ch, ch, i + 1, 'down', false, true);
        skips.push(ch);
        res /= 2;
      }
    }
    addBlock('mid.block.0', ch, ch, levels, 'none', false, false);
    addAttention('mid.attn', ch, levels, false);
    addBlock('mid.block.1', ch, ch, levels, 'none', false, false);
    for (let i = levels - 1; i >= 0; i--) {
      const hasAttn = cfg.attnResolutions.includes(res);
      for (let j = 0; j < cfg.numResBlocks + 1; j++) {
        const skip = skips.pop()!;
        addBlock(`up.${i}.block.${j}`, ch + skip, width(i), i + 1, 'none', true, false);
        ch = width(i);
      }
      if (hasAttn) addAttention(`up.${i}.attn`, ch, i + 1, false);
      if (i > 0) {
        addBlock(`up.${i}.upsample`, ch, ch, i + 1, 'up', false, false);
        res *= 2;
      }
    }
    if (skips.length !== 0) throw new Error(`internal: ${skips.length} skip tensors left`);
    if (cfg.spade) {
      // MCVD "spatin": the output norm is SPADE without time modulation and without affine GN (docs/mcvd-reference.md §4.7).
      const spade = { condChannels: condChannels(cfg), hiddenChannels: cfg.spade.hiddenChannels };
      const r = cfg.imageSize;
      this.modules.push({
        name: 'out/norm',
        group: 'stem',
        level: 1,
        resolution: r,
        specs: spadeSpecs('out/norm/spade', ngf, spade),
        flops: (b) => [
          ...spadeFlops('out/norm/spade', b, r, r, ngf, spade),
          { name: 'out/norm', kind: 'norm', flops: groupNormFlops(b * r * r * ngf, false) },
        ],
      });
    } else {
      this.modules.push({
        name: 'out/norm',
        group: 'stem',
        level: 1,
        resolution: cfg.imageSize,
        specs: affineNormSpecs('out/norm', ngf),
        flops: (b) => [{ name: 'out/norm', kind: 'norm', flops: groupNormFlops(b * cfg.imageSize ** 2 * ngf, true) }],
      });
    }
    this.modules.push(convModule('conv_out', ngf, outputChannels(cfg), 3, 1e-10, cfg.imageSize, 'stem'));
    this.tembBank = new TembLinearBank(
      this.steps.flatMap((s) => (s.kind === 'block' ? (s.block.tembLinearPrefixes?.() ?? []) : [])),
    );
  }

  paramSpecs(): ParamSpec[] {
    return this.modules.flatMap((m) => m.specs);
  }

  /** Trainable parameters (saved non-trainable buffers such as FAVOR+ projections excluded). */
  paramCount(): number {
    return this.paramSpecs()
      .filter((s) => s.trainable !== false)
      .reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  }

  /** Forward FLOP entries (fvcore convention) of every module at a batch size. */
  flops(batch: number): Array<FlopEntry & { module: string; group: ModuleGroup; level: number | null }> {
    return this.modules.flatMap((m) => m.flops(batch).map((e) => ({ ...e, module: m.name, group: m.group, level: m.level })));
  }

  /** The timestep value the embedding sees for standard DDPM t (0 = least noisy). */
  timestepInput(t: number[], numTimesteps = 1000): number[] {
    return this.config.timestepConvention === 'mcvd' ? t.map((v) => numTimesteps - 1 - v) : t.slice();
  }

  /**
   * Predicts ε for the current frames.
   * @param xt noisy current frames `[B, H, W, C·current]`
   * @param t standard DDPM timesteps (0-based, 0 = least noisy), one per sample
   * @param cond past then future frames `[B, H, W, C·(past+future)]`, or null (treated as zeros)
   */
  apply(read: ParamReader, xt: tf.Tensor4D, t: number[], cond: tf.Tensor4D | null, ctx: UNetContext = {}): tf.Tensor4D {
    const cfg = this.config;
    const [b, hh, ww, c] = xt.shape;
    if (c !== outputChannels(cfg) || hh !== cfg.imageSize || ww !== cfg.imageSize) {
      throw new Error(
        `network input x_t must be [B, ${cfg.imageSize}, ${cfg.imageSize}, ${outputChannels(cfg)}], got [${xt.shape}]`,
      );
    }
    if (t.length !== b) throw new Error(`need one timestep per sample: got ${t.length} for batch ${b}`);
    const cc = condChannels(cfg);
    if (cond && (cond.shape[0] !== b || cond.shape[1] !== hh || cond.shape[2] !== ww || cond.shape[3] !== cc)) {
      throw new Error(`conditioning frames must be [${b}, ${hh}, ${ww}, ${cc}], got [${cond.shape}]`);
    }
    return tf.tidy(() => {
      const condT = cc > 0 ? (cond ?? tf.zeros([b, hh, ww, cc])) : undefined;
      const emb = timestepEmbedding(this.timestepInput(t), cfg.baseChannels);
      const temb = dense(read, 'temb/dense1', silu(dense(read, 'temb/dense0', emb)));
      // SiLU(temb) once for every block's embedding Linears (blocks would otherwise each recompute it)
      const tembAct = silu(temb);
      // inference: all of the blocks' Linears on it in one matmul (undefined while training)
      const tembLinear = this.tembBank.apply(read, tembAct);
      const input = condT && !cfg.spade ? tf.concat([xt, condT], 3) : xt;
      let h = conv(read, 'conv_in', input);
      const skips: tf.Tensor4D[] = [h];
      const seed = ctx.seed ?? 0;
      for (const step of this.steps) {
        if (step.kind === 'block') {
          const x = step.pop ? (tf.concat([h, skips.pop()!], 3) as tf.Tensor4D) : h;
          const block = step.block;
          const run = (r: ParamReader, [xi, ti, ai, ci]: tf.Tensor[]) =>
            block.apply(r, xi as tf.Tensor4D, {
              temb: ti as tf.Tensor2D,
              tembAct: ai as tf.Tensor2D,
              cond: ci as tf.Tensor4D | undefined,
              training: ctx.training,
              seed: seed * 1000 + step.index,
              tembLinear,
            });
          const ins = cfg.spade ? [x, temb, tembAct, condT!] : [x, temb, tembAct];
          h = (ctx.rematerialize ? rematerialized(run, read, step.paramNames, ins) : run(read, ins)) as tf.Tensor4D;
        } else {
          const attn = step.attn;
          const run = (r: ParamReader, [xi]: tf.Tensor[]) =>
            attn.apply(r, xi as tf.Tensor4D, { training: ctx.training, step: ctx.step, seed: seed * 1000 + step.index });
          h = (ctx.rematerialize ? rematerialized(run, read, step.paramNames, [h]) : run(read, [h])) as tf.Tensor4D;
        }
        if (step.push) skips.push(h);
      }
      let g: tf.Tensor4D;
      if (cfg.spade) {
        const n = spadeNorm(read, 'out/norm/spade', h, condT!);
        g = silu(n);
      } else {
        g = groupNorm({
          x: h,
          groups: mcvdGroupCount(cfg.baseChannels),
          eps: 1e-5,
          ...affineNorm(read, 'out/norm'),
          activation: 'silu',
        }) as tf.Tensor4D;
      }
      return conv(read, 'conv_out', g);
    });
  }
}

function denseModule(name: string, cin: number, cout: number, level: number | null): UNetModule {
  return {
    name,
    group: 'temb',
    level,
    resolution: 0,
    specs: denseSpecs(name, cin, cout),
    flops: (b) => [{ name, kind: 'linear', flops: b * cin * cout }],
  };
}

function convModule(
  name: string,
  cin: number,
  cout: number,
  k: number,
  scale: number,
  res: number,
  group: ModuleGroup,
): UNetModule {
  return {
    name,
    group,
    level: 1,
    resolution: res,
    specs: convSpecs(name, k, cin, cout, scale),
    flops: (b) => [{ name, kind: 'conv', flops: conv2dMacs(b, res, res, cin, cout, k) }],
  };
}

DenoisingUNet satisfies Configurable<NetworkConfigInput, NetworkConfig, DenoisingUNet>;
