import * as tf from '@tensorflow/tfjs-core';
import { ParamStore, Rng, type ParamReader, type ParamSpec } from '@evdm/core';
import { conv3dSameAuto } from './conv3d-same';

/**
 * The Inception-3D network (Carreira & Zisserman 2017) as released on TF-Hub
 * (`deepmind/i3d-kinetics-400`, RGB stream) and wrapped by StyleGAN-V's `i3d_torchscript.pt`:
 * the network behind FVD. Layout NDHWC (`[B, T, H, W, C]`), TF 'SAME' padding everywhere, every
 * conv followed by BatchNorm without scale (eps 1e-3) and ReLU, except the logits conv (bias, no
 * BN, no ReLU); the logits are averaged over the remaining time steps.
 */
export interface I3DConfig {
  /** Output (feature) size; 400 Kinetics classes. */
  numClasses: number;
  /** Input channels; 3 (RGB). */
  inChannels: number;
  /** Channel multiplier for every layer; 1 for the real network (small values for tests). */
  width: number;
  /** BatchNorm epsilon (sonnet/TF default 1e-3). */
  bnEps: number;
  /** Average pool before the logits, [t, h, w], VALID, stride 1: [2, 7, 7] for 224×224 input. */
  logitsPool: [number, number, number];
}

export const I3D_KINETICS_400: Readonly<I3DConfig> = Object.freeze({
  numClasses: 400,
  inChannels: 3,
  width: 1,
  bnEps: 1e-3,
  logitsPool: [2, 7, 7] as [number, number, number],
});

/** Output channels of an Inception block: [b0, b1a, b1b, b2a, b2b, b3]. */
type MixedChannels = [number, number, number, number, number, number];

type Stage =
  | { kind: 'conv'; name: string; out: number; kernel: [number, number, number]; stride: [number, number, number] }
  | { kind: 'pool'; name: string; kernel: [number, number, number]; stride: [number, number, number] }
  | { kind: 'mixed'; name: string; out: MixedChannels };

/** The I3D trunk, in order (TF-Hub names). */
const STAGES: Stage[] = [
  { kind: 'conv', name: 'Conv3d_1a_7x7', out: 64, kernel: [7, 7, 7], stride: [2, 2, 2] },
  { kind: 'pool', name: 'MaxPool3d_2a_3x3', kernel: [1, 3, 3], stride: [1, 2, 2] },
  { kind: 'conv', name: 'Conv3d_2b_1x1', out: 64, kernel: [1, 1, 1], stride: [1, 1, 1] },
  { kind: 'conv', name: 'Conv3d_2c_3x3', out: 192, kernel: [3, 3, 3], stride: [1, 1, 1] },
  { kind: 'pool', name: 'MaxPool3d_3a_3x3', kernel: [1, 3, 3], stride: [1, 2, 2] },
  { kind: 'mixed', name: 'Mixed_3b', out: [64, 96, 128, 16, 32, 32] },
  { kind: 'mixed', name: 'Mixed_3c', out: [128, 128, 192, 32, 96, 64] },
  { kind: 'pool', name: 'MaxPool3d_4a_3x3', kernel: [3, 3, 3], stride: [2, 2, 2] },
  { kind: 'mixed', name: 'Mixed_4b', out: [192, 96, 208, 16, 48, 64] },
  { kind: 'mixed', name: 'Mixed_4c', out: [160, 112, 224, 24, 64, 64] },
  { kind: 'mixed', name: 'Mixed_4d', out: [128, 128, 256, 24, 64, 64] },
  { kind: 'mixed', name: 'Mixed_4e', out: [112, 144, 288, 32, 64, 64] },
  { kind: 'mixed', name: 'Mixed_4f', out: [256, 160, 320, 32, 128, 128] },
  { kind: 'pool', name: 'MaxPool3d_5a_2x2', kernel: [2, 2, 2], stride: [2, 2, 2] },
  { kind: 'mixed', name: 'Mixed_5b', out: [256, 160, 320, 32, 128, 128] },
  { kind: 'mixed', name: 'Mixed_5c', out: [384, 192, 384, 48, 128, 128] },
];

/** One conv+BN(+ReLU) unit inside a Mixed block: [suffix, input index, out index, kernel]. */
const MIXED_UNITS: [string, 'in' | 'b1a' | 'b2a', number, number][] = [
  ['Branch_0/Conv3d_0a_1x1', 'in', 0, 1],
  ['Branch_1/Conv3d_0a_1x1', 'in', 1, 1],
  ['Branch_1/Conv3d_0b_3x3', 'b1a', 2, 3],
  ['Branch_2/Conv3d_0a_1x1', 'in', 3, 1],
  ['Branch_2/Conv3d_0b_3x3', 'b2a', 4, 3],
  ['Branch_3/Conv3d_0b_1x1', 'in', 5, 1],
];

export const LOGITS_NAME = 'Logits/Conv3d_0c_1x1';

function validateConfig(c: I3DConfig): void {
  if (!Number.isInteger(c.numClasses) || c.numClasses < 1)
    throw new Error(`I3D config: numClasses must be a positive integer, got ${c.numClasses}`);
  if (!Number.isInteger(c.inChannels) || c.inChannels < 1)
    throw new Error(`I3D config: inChannels must be a positive integer, got ${c.inChannels}`);
  if (!(c.width > 0 && c.width <= 1)) throw new Error(`I3D config: width must be in (0, 1], got ${c.width}`);
  if (!(c.bnEps > 0)) throw new Error(`I3D config: bnEps must be positive, got ${c.bnEps}`);
  if (!Array.isArray(c.logitsPool) || c.logitsPool.length !== 3 || c.logitsPool.some((k) => !Number.isInteger(k) || k < 1)) {
    throw new Error(`I3D config: logitsPool must be 3 positive integers, got ${JSON.stringify(c.logitsPool)}`);
  }
}

/** Full config from a partial one (defaults: the Kinetics-400 network), validated. */
export function i3dConfig(partial: Partial<I3DConfig> = {}): I3DConfig {
  const c = { ...I3D_KINETICS_400, ...partial } as I3DConfig;
  c.logitsPool = [...c.logitsPool] as [number, number, number];
  validateConfig(c);
  return c;
}

const scaled = (c: I3DConfig, n: number) => Math.max(1, Math.round(n * c.width));

interface UnitSpec {
  name: string;
  cin: number;
  cout: number;
  kernel: [number, number, number];
}

/** Every conv unit with its channel counts (for parameter specs and the converter's checks). */
function unitSpecs(c: I3DConfig): UnitSpec[] {
  const units: UnitSpec[] = [];
  let ch = c.inChannels;
  for (const s of STAGES) {
    if (s.kind === 'conv') {
      units.push({ name: s.name, cin: ch, cout: scaled(c, s.out), kernel: s.kernel });
      ch = scaled(c, s.out);
    } else if (s.kind === 'mixed') {
      const o = s.out.map((n) => scaled(c, n));
      for (const [suffix, from, idx, k] of MIXED_UNITS) {
        const cin = from === 'in' ? ch : from === 'b1a' ? o[1] : o[3];
        units.push({ name: `${s.name}/${suffix}`, cin, cout: o[idx], kernel: [k, k, k] });
      }
      ch = o[0] + o[2] + o[4] + o[5];
    }
  }
  return units;
}

/** Channels entering the logits conv (1024 for the real network). */
function trunkChannels(c: I3DConfig): number {
  const last = STAGES[STAGES.length - 1] as Extract<Stage, { kind: 'mixed' }>;
  return [0, 2, 4, 5].reduce((s, i) => s + scaled(c, last.out[i]), 0);
}

/**
 * Parameter specs with TF-Hub names (without the `RGB/inception_i3d/` prefix): per unit
 * `<unit>/conv_3d/w` `[kt,kh,kw,cin,cout]`, `<unit>/batch_norm/{beta,moving_mean,moving_variance}`;
 * and `Logits/Conv3d_0c_1x1/conv_3d/{w,b}`. `random` selects He-uniform conv weights (for tests);
 * otherwise everything starts at zero/one, ready to be overwritten by loaded weights.
 */
export function i3dParamSpecs(config: I3DConfig, random = false): ParamSpec[] {
  const specs: ParamSpec[] = [];
  for (const u of unitSpecs(config)) {
    const fanIn = u.cin * u.kernel[0] * u.kernel[1] * u.kernel[2];
    specs.push({
      name: `${u.name}/conv_3d/w`,
      shape: [...u.kernel, u.cin, u.cout],
      init: random ? { kind: 'varianceScaling', scale: 2, fanIn, fanOut: fanIn } : { kind: 'zeros' },
      trainable: false,
    });
    specs.push({ name: `${u.name}/batch_norm/beta`, shape: [u.cout], init: { kind: 'zeros' }, trainable: false });
    specs.push({ name: `${u.name}/batch_norm/moving_mean`, shape: [u.cout], init: { kind: 'zeros' }, trainable: false });
    specs.push({ name: `${u.name}/batch_norm/moving_variance`, shape: [u.cout], init: { kind: 'ones' }, trainable: false });
  }
  const cin = trunkChannels(config);
  specs.push({
    name: `${LOGITS_NAME}/conv_3d/w`,
    shape: [1, 1, 1, cin, config.numClasses],
    init: random ? { kind: 'varianceScaling', scale: 1, fanIn: cin, fanOut: cin } : { kind: 'zeros' },
    trainable: false,
  });
  specs.push({ name: `${LOGITS_NAME}/conv_3d/b`, shape: [config.numClasses], init: { kind: 'zeros' }, trainable: false });
  return specs;
}

/** Spatial/temporal size after TF 'SAME' striding. */
const sameOut = (n: number, s: number) => Math.ceil(n / s);

/** [t, h, w] of the trunk's output for an input of [T, H, W]. */
export function i3dTrunkShape(t: number, h: number, w: number): [number, number, number] {
  let dims: [number, number, number] = [t, h, w];
  for (const s of STAGES) {
    if (s.kind === 'mixed') continue;
    dims = dims.map((n, i) => sameOut(n, s.stride[i])) as [number, number, number];
  }
  return dims;
}

/**
 * The I3D network with its weights. `features(x)` maps preprocessed videos `[B,T,H,W,C]` in
 * [-1, 1] to the `[B, numClasses]` pre-softmax logits averaged over time: the FVD feature.
 */
export class I3D {
  readonly config: I3DConfig;
  private readonly store: ParamStore;
  private readonly read: ParamReader;

  /** Use {@link I3D.random} or `loadI3D(dir)` rather than this constructor. */
  constructor(config: I3DConfig, store: ParamStore) {
    validateConfig(config);
    this.config = config;
    this.store = store;
    this.read = store.read;
  }

  /**
   * A randomly initialised network (He-uniform convs, identity BN), deterministic for a seed.
   * For tests and benchmarks only: its features mean nothing, never report FVD with it.
   */
  static random(config: Partial<I3DConfig> = {}, seed = 0): I3D {
    const c = i3dConfig(config);
    return new I3D(c, new ParamStore(i3dParamSpecs(c, true), new Rng(seed)));
  }

  /** A network with the given named weights (every parameter must be present, shapes must match). */
  static fromTensors(config: Partial<I3DConfig>, weights: tf.NamedTensorMap): I3D {
    const c = i3dConfig(config);
    const store = new ParamStore(i3dParamSpecs(c, false), new Rng(0));
    try {
      store.load(weights);
    } catch (err) {
      store.dispose();
      throw new Error(`I3D weights do not fit the config ${JSON.stringify(c)}: ${(err as Error).message}`);
    }
    return new I3D(c, store);
  }

  /** The parameter store (for saving: `saveI3D`). */
  get params(): ParamStore {
    return this.store;
  }

  /** Checks an input shape (rank, channels, large enough for the logits pool); throws naming the problem. */
  checkInput(shape: number[]): void {
    if (shape.length !== 5) throw new Error(`I3D: expected videos [B,T,H,W,C], got shape [${shape}]`);
    const [, t, h, w, ch] = shape;
    if (ch !== this.config.inChannels)
      throw new Error(`I3D: expected ${this.config.inChannels} channels, got ${ch} (shape [${shape}])`);
    const out = i3dTrunkShape(t, h, w);
    const k = this.config.logitsPool;
    if (out.some((n, i) => n < k[i])) {
      throw new Error(
        `I3D: input of ${t}x${h}x${w} (TxHxW) leaves a ${out.join('x')} feature map, smaller than the ` +
          `logits pool ${k.join('x')}; the Kinetics network needs 224x224 frames and at least 9 frames`,
      );
    }
  }

  /** Features `[B, numClasses]` of preprocessed videos `[B,T,H,W,C]` in [-1, 1]. */
  features(x: tf.Tensor): tf.Tensor2D {
    this.checkInput(x.shape);
    return tf.tidy(() => {
      let h = x as tf.Tensor5D;
      for (const s of STAGES) {
        if (s.kind === 'conv') h = this.unit(h, s.name, s.stride);
        else if (s.kind === 'pool') h = tf.maxPool3d(h, s.kernel, s.stride, 'same');
        else h = this.mixed(h, s.name);
      }
      h = tf.avgPool3d(h, this.config.logitsPool, [1, 1, 1], 'valid');
      const logits = this.conv(h, `${LOGITS_NAME}/conv_3d/w`, [1, 1, 1]);
      const withBias = tf.add(logits, this.read(`${LOGITS_NAME}/conv_3d/b`));
      // squeeze space, average over time (TF-Hub's `averaged_logits`)
      return tf.mean(tf.mean(withBias, [2, 3]), 1) as tf.Tensor2D;
    });
  }

  dispose(): void {
    this.store.dispose();
  }

  private conv(x: tf.Tensor5D, wName: string, stride: [number, number, number]): tf.Tensor5D {
    const w = this.read(wName) as tf.Tensor5D;
    const [kt, kh, kw, cin, cout] = w.shape;
    if (kt === 1 && kh === 1 && kw === 1 && stride.every((s) => s === 1)) {
      // a 1×1×1 conv is a matmul; the cpu backend's conv3d loop is far slower for it
      const [b, t, hh, ww] = x.shape;
      const y = tf.matMul(tf.reshape(x, [b * t * hh * ww, cin]), tf.reshape(w, [cin, cout]));
      return tf.reshape(y, [b, t, hh, ww, cout]);
    }
    return conv3dSameAuto(x, w, stride);
  }

  private unit(x: tf.Tensor5D, name: string, stride: [number, number, number] = [1, 1, 1]): tf.Tensor5D {
    const y = this.conv(x, `${name}/conv_3d/w`, stride);
    const mean = this.read(`${name}/batch_norm/moving_mean`);
    const variance = this.read(`${name}/batch_norm/moving_variance`);
    const beta = this.read(`${name}/batch_norm/beta`);
    const scale = tf.rsqrt(tf.add(variance, this.config.bnEps));
    return tf.relu(tf.add(tf.mul(tf.sub(y, mean), scale), beta)) as tf.Tensor5D;
  }

  private mixed(x: tf.Tensor5D, name: string): tf.Tensor5D {
    const b0 = this.unit(x, `${name}/Branch_0/Conv3d_0a_1x1`);
    const b1 = this.unit(this.unit(x, `${name}/Branch_1/Conv3d_0a_1x1`), `${name}/Branch_1/Conv3d_0b_3x3`);
    const b2 = this.unit(this.unit(x, `${name}/Branch_2/Conv3d_0a_1x1`), `${name}/Branch_2/Conv3d_0b_3x3`);
    const b3 = this.unit(tf.maxPool3d(x, [3, 3, 3], [1, 1, 1], 'same'), `${name}/Branch_3/Conv3d_0b_1x1`);
    return tf.concat([b0, b1, b2, b3], 4) as tf.Tensor5D;
  }
}

/** Names of every conv+BN unit, in forward order (TF-Hub names; used by tests and tooling). */
export function i3dUnitNames(config: I3DConfig): string[] {
  return unitSpecs(config).map((u) => u.name);
}
