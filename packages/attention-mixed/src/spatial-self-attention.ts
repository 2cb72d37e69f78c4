import * as tf from '@tensorflow/tfjs-core';
import {
  affineNorm,
  affineNormSpecs,
  channelGather,
  dense,
  denseSpecs,
  groupNorm,
  mcvdGroupCount,
  paramCount,
  parseConfigJson,
  Rng,
  type Block,
  type Configurable,
  type FlopEntry,
  type ParamReader,
  type ParamSpec,
} from '@evdm/core';
import { resolveConfig, type ResolvedAttentionConfig, type SpatialSelfAttentionConfig } from './attention-config';
import { favorAttentionHeads, mergeHeads, splitHeads } from './favor-heads';
import { selectsFavor } from './attention-gate';
import { attentionFlops, type AttentionFlopOptions } from './flops';
import { orthogonalRandomFeatures } from './orthogonal-features';
import { softmaxAttention } from './softmax-attention';

/** Per-call context of {@link SpatialSelfAttention.apply}. */
export interface AttentionContext {
  /** Training mode: enables the 'every-n' redraw. Default false. */
  training?: boolean;
  /** Global training step (or sampling call index) for the redraw policies. */
  step?: number;
  /** Run seed mixed into redrawn projections (default 0: epoch 0 equals the initial buffer). */
  seed?: number;
}

/**
 * MCVD's spatial multi-head self-attention block (`AttnBlockpp`, docs/mcvd-reference.md §4.5) with EVDM's mixed
 * attention (paper §3.3, Eq. 11-14):
 * `h = GN(x)` (affine, eps 1e-6, MCVD groups) → per-pixel q/k/v projections → per-head attention
 * over the `L = H·W` tokens (exact softmax, or FAVOR+) → output projection → `(x + h) / √2`.
 *
 * Parameters (TF layouts, `[in, out]` kernels): `${name}/norm/{gamma,beta}`,
 * `${name}/{q,k,v,out}/{kernel,bias}` (MCVD init: q/k/v variance scaling 0.1, out ≈ 0), and for
 * modes 'favor'/'gate' the non-trainable FAVOR+ projection `${name}/favor/projection` `[m, d]`.
 */
export class SpatialSelfAttention implements Block<AttentionContext> {
  readonly name: string;
  readonly config: ResolvedAttentionConfig;
  private readonly groups: number;
  private memo: { key: string; values: Float32Array } | null = null;

  constructor(cfg: SpatialSelfAttentionConfig) {
    this.config = resolveConfig(cfg);
    this.name = this.config.name;
    this.groups = mcvdGroupCount(this.config.channels);
  }

  /**
   * Fills defaults and validates: the full config in constructor form (`features` as given, e.g.
   * 'half-head'; `this.config` adds the derived heads, headDim and feature count).
   */
  static resolve(cfg: SpatialSelfAttentionConfig): Required<SpatialSelfAttentionConfig> {
    return configJson(resolveConfig(cfg));
  }

  /** The config with every default filled in (JSON-serialisable; `fromJSON` of it builds the same block). */
  toJSON(): Required<SpatialSelfAttentionConfig> {
    return configJson(this.config);
  }

  static fromJSON(json: unknown): SpatialSelfAttention {
    return new SpatialSelfAttention(parseConfigJson('SpatialSelfAttention', json) as SpatialSelfAttentionConfig);
  }

  /** @deprecated use `toJSON()` (the config idiom: `resolve` / `toJSON` / `fromJSON`). */
  toConfig(): Required<SpatialSelfAttentionConfig> {
    return this.toJSON();
  }

  get heads(): number {
    return this.config.heads;
  }

  get headDim(): number {
    return this.config.headDim;
  }

  /** FAVOR+ random features per head (m). */
  get features(): number {
    return this.config.features;
  }

  /** Name of the non-trainable projection buffer (present for modes 'favor' and 'gate'). */
  get projectionName(): string {
    return `${this.name}/favor/projection`;
  }

  paramSpecs(): ParamSpec[] {
    const { channels: c, mode } = this.config;
    const n = this.name;
    const specs: ParamSpec[] = [
      ...affineNormSpecs(`${n}/norm`, c),
      ...['q', 'k', 'v'].flatMap((p) => denseSpecs(`${n}/${p}`, c, c, 0.1)),
      ...denseSpecs(`${n}/out`, c, c, 0),
    ];
    if (mode !== 'softmax') {
      specs.push({
        name: this.projectionName,
        shape: [this.config.features, this.config.headDim],
        init: { kind: 'values', values: this.projectionAt(0) },
        trainable: false,
      });
    }
    return specs;
  }

  /** Trainable parameters (MSM adds none: `2C + 4(C² + C)`, as MCVD). */
  paramCount(): number {
    return paramCount(this.paramSpecs().filter((s) => s.trainable ?? true));
  }

  /** Saved, non-trained buffer values (the FAVOR+ projection, `m·d`, or 0). */
  bufferCount(): number {
    return paramCount(this.paramSpecs().filter((s) => s.trainable === false));
  }

  /** Whether FAVOR+ runs at this resolution: mode 'favor' always, 'gate' iff `L = H·W > λ·d` (Eq. 14). */
  usesFavor(height: number, width: number): boolean {
    const { mode, lambda, headDim } = this.config;
    return selectsFavor(mode, lambda, headDim, height, width);
  }

  /** One line stating the algorithm this block uses at `height × width` and why. */
  describe(height: number, width: number): string {
    const { mode, lambda, headDim: d, heads, features: m } = this.config;
    const l = height * width;
    const algo = this.usesFavor(height, width) ? `FAVOR+ (m=${m})` : 'softmax';
    const why =
      mode === 'gate'
        ? `gate: L=${l} ${l > lambda * d ? '>' : '<='} λ·d=${lambda}·${d}=${lambda * d}`
        : `mode '${mode}' (forced; gate would pick ${l > lambda * d ? 'FAVOR+' : 'softmax'} at λ=${lambda})`;
    return `${this.name}: ${height}x${width} L=${l}, ${heads} head(s) of d=${d} -> ${algo}; ${why}`;
  }

  /** Forward FLOPs (fvcore convention) of what runs at this resolution; see `attentionFlops`. */
  flops(batch: number, height: number, width: number, opts?: AttentionFlopOptions): FlopEntry[] {
    const { channels, heads, features } = this.config;
    return attentionFlops(
      { name: this.name, batch, height, width, channels, heads, features, favor: this.usesFavor(height, width) },
      opts,
    );
  }

  /**
   * The FAVOR+ projection `[m, d]` (row-major) of redraw index `index`: deterministic in
   * (`featureSeed`, block name, `seed`, `index`). Index 0 with seed 0 is the initial buffer.
   */
  projectionAt(index: number, seed = 0): Float32Array {
    if (!Number.isInteger(index) || index < 0)
      throw new Error(`${this.name}: projection index must be an integer >= 0, got ${index}`);
    if (!Number.isInteger(seed)) throw new Error(`${this.name}: seed must be an integer, got ${seed}`);
    const key = `${seed}:${index}`;
    if (this.memo?.key === key) return this.memo.values;
    const hi = BigInt(fnv1a(this.name));
    const rng = new Rng((hi << 32n) | BigInt(this.config.featureSeed >>> 0), (BigInt(seed >>> 0) << 32n) | BigInt(index));
    const values = orthogonalRandomFeatures(this.config.features, this.config.headDim, rng);
    this.memo = { key, values };
    return values;
  }

  /**
   * Redraw index the policy uses for this call, or null for the stored buffer.
   * 'every-n' trains with `floor(step / n)`; 'per-call' uses `step` in every call.
   */
  redrawIndex(ctx: AttentionContext = {}): number | null {
    const r = this.config.redraw;
    if (r.policy === 'fixed' || (r.policy === 'every-n' && !ctx.training)) return null;
    const step = ctx.step;
    if (!Number.isInteger(step) || (step as number) < 0) {
      throw new Error(`${this.name}: redraw policy '${r.policy}' needs ctx.step (an integer >= 0), got ${step}`);
    }
    return r.policy === 'every-n' ? Math.floor((step as number) / r.n) : (step as number);
  }

  /**
   * Writes the projection the policy uses at `ctx` into the stored buffer (a `tf.Variable`, as
   * `ParamStore.read` returns), so a checkpoint holds the features last used in training.
   */
  syncProjection(read: ParamReader, ctx: AttentionContext): void {
    if (this.config.mode === 'softmax') return;
    const index = this.redrawIndex({ ...ctx, training: true });
    if (index === null) return;
    const buf = read(this.projectionName);
    if (!(buf instanceof tf.Variable)) throw new Error(`${this.name}: syncProjection needs the projection as a tf.Variable`);
    const t = tf.tensor2d(this.projectionAt(index, ctx.seed ?? 0), [this.config.features, this.config.headDim]);
    buf.assign(t);
    t.dispose();
  }

  /** `x`: NHWC `[B, H, W, C]`. Returns `(x + attn(GN(x))) / √2`, same shape. */
  apply(read: ParamReader, x: tf.Tensor4D, ctx: AttentionContext = {}): tf.Tensor4D {
    const { channels: c, heads, headDim: d } = this.config;
    if (!(x instanceof tf.Tensor) || x.rank !== 4)
      throw new Error(`${this.name}: x must be NHWC [B, H, W, C], got shape [${x?.shape}]`);
    if (x.shape[3] !== c)
      throw new Error(`${this.name}: x has ${x.shape[3]} channels, the block was built for ${c} (shape [${x.shape}])`);
    const favor = this.usesFavor(x.shape[1], x.shape[2]);
    const index = favor ? this.redrawIndex(ctx) : null;
    return tf.tidy(() => {
      const [b, hgt, wid] = x.shape;
      const l = hgt * wid;
      const n = this.name;
      const h = groupNorm({ x, groups: this.groups, eps: this.config.eps, ...affineNorm(read, `${n}/norm`) });
      const pixels = tf.reshape(h, [b * l, c]);
      const linear = (inp: tf.Tensor, p: string) => dense(read, `${n}/${p}`, inp);
      // per-pixel projections [B, L, C]; head j owns channels [j·d, (j+1)·d)
      const [q, k, v] = ['q', 'k', 'v'].map((p) => tf.reshape(linear(pixels, p), [b, l, c]) as tf.Tensor3D);
      let core: tf.Tensor3D;
      if (favor) {
        const projection =
          index === null
            ? this.storedProjection(read)
            : tf.tensor2d(this.projectionAt(index, ctx.seed ?? 0), [this.config.features, d]);
        const opts = { stabilize: this.config.stabilize, epsilon: this.config.favorEpsilon };
        core = favorAttentionHeads(q, k, v, projection, heads, opts);
      } else {
        core = mergeHeads(softmaxAttention(splitHeads(q, heads), splitHeads(k, heads), splitHeads(v, heads)), heads);
      }
      const merged = tf.reshape(core, [b * l, c]) as tf.Tensor2D;
      const out = tf.reshape(linear(merged, 'out'), x.shape);
      // (x + out)·√½ as one pass (a native kernel where the backend registers it), not an add and a multiply
      return channelGather({ inputs: [x], perm: identityPerm(c), addend: out as tf.Tensor4D, scale: Math.SQRT1_2 });
    });
  }

  private storedProjection(read: ParamReader): tf.Tensor2D {
    const p = read(this.projectionName);
    const { features: m, headDim: d } = this.config;
    if (p.rank !== 2 || p.shape[0] !== m || p.shape[1] !== d) {
      throw new Error(`${this.name}: stored projection ${this.projectionName} has shape [${p.shape}], expected [${m}, ${d}]`);
    }
    return p as tf.Tensor2D;
  }
}

SpatialSelfAttention satisfies Configurable<
  SpatialSelfAttentionConfig,
  Required<SpatialSelfAttentionConfig>,
  SpatialSelfAttention
>;

/** The constructor form of a resolved config (drops the derived fields, restores `features` as given). */
function configJson(c: ResolvedAttentionConfig): Required<SpatialSelfAttentionConfig> {
  const { heads: _h, headDim: _d, features: _f, featuresOption, redraw, ...rest } = c;
  return { ...rest, redraw: { ...redraw }, features: featuresOption };
}

const identityPerm = (c: number): number[] => Array.from({ length: c }, (_, i) => i);

/** 32-bit FNV-1a of a string (decorrelates the projections of differently named blocks). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
