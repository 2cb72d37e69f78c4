import * as tf from '@tensorflow/tfjs-core';
import { fans, varianceScalingUniform } from './init';
import { Rng } from './rng';

/** How a parameter starts. `varianceScaling` is MCVD's `default_init(scale)`. */
export type Initializer =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'varianceScaling'; scale: number; fanIn?: number; fanOut?: number }
  | { kind: 'values'; values: Float32Array };

/** One named, shaped parameter of a module. Names are stable: they are checkpoint keys. */
export interface ParamSpec {
  name: string;
  shape: number[];
  init: Initializer;
  /** false for saved-but-not-trained buffers (e.g. FAVOR+ random features). Default true. */
  trainable?: boolean;
}

/** Gives a module its weights by name: variables, EMA copies, or tfjs-layers LayerVariables. */
export type ParamReader = (name: string) => tf.Tensor;

/** Anything with explicit named parameters. Blocks expose `apply(read, ...)` as a pure function. */
export interface ParamModule {
  readonly name: string;
  paramSpecs(): ParamSpec[];
}

export function paramCount(specs: ParamSpec[]): number {
  return specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}

/** Materialises an initializer (deterministic given the rng state). */
export function initialValues(spec: ParamSpec, rng: Rng): Float32Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const init = spec.init;
  switch (init.kind) {
    case 'zeros':
      return new Float32Array(n);
    case 'ones':
      return new Float32Array(n).fill(1);
    case 'values':
      if (init.values.length !== n) {
        throw new Error(`param ${spec.name}: ${init.values.length} initial values for shape [${spec.shape}]`);
      }
      return Float32Array.from(init.values);
    case 'varianceScaling': {
      const f =
        init.fanIn !== undefined && init.fanOut !== undefined ? { fanIn: init.fanIn, fanOut: init.fanOut } : fans(spec.shape);
      return varianceScalingUniform(n, f.fanIn, f.fanOut, init.scale, rng);
    }
  }
}

function checkUnique(specs: ParamSpec[]): void {
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) throw new Error(`duplicate parameter name "${s.name}"`);
    if (s.shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new Error(`parameter "${s.name}" has an invalid shape [${s.shape}]`);
    }
    seen.add(s.name);
  }
}

/**
 * Owns the tf.Variables of one or more modules. Variables are created in spec order from one Rng,
 * so a seed fixes every initial weight. Save/load use tf.io's weight conventions.
 */
export class ParamStore {
  readonly specs: ParamSpec[];
  private readonly vars = new Map<string, tf.Variable>();

  constructor(specs: ParamSpec[], rng: Rng | number = 0) {
    checkUnique(specs);
    this.specs = specs;
    const r = typeof rng === 'number' ? new Rng(rng) : rng;
    // tf.Variable names are global to the engine, so our stable names live in this map only
    // (two stores with the same specs, e.g. a model and its EMA, must coexist).
    for (const s of specs) {
      const init = tf.tensor(initialValues(s, r), s.shape, 'float32');
      this.vars.set(s.name, tf.variable(init, s.trainable ?? true));
      init.dispose();
    }
  }

  /** A reader over the live variables (pass to a module's `apply`); returns the tf.Variable itself. */
  readonly read: (name: string) => tf.Variable = (name: string) => {
    const v = this.vars.get(name);
    if (!v) throw new Error(`unknown parameter "${name}" (have ${this.vars.size} parameters)`);
    return v;
  };

  variables(): Record<string, tf.Variable> {
    return Object.fromEntries(this.vars);
  }

  variableList(): tf.Variable[] {
    return [...this.vars.values()];
  }

  /** The variables an optimiser should update (specs without `trainable: false`). */
  trainableVariables(): tf.Variable[] {
    return this.specs.filter((s) => s.trainable ?? true).map((s) => this.vars.get(s.name)!);
  }

  count(): number {
    return paramCount(this.specs);
  }

  /** Copies values in; every name and shape must match (clear error otherwise). */
  load(map: tf.NamedTensorMap, { strict = true }: { strict?: boolean } = {}): void {
    for (const [name, v] of this.vars) {
      const t = map[name];
      if (!t) {
        if (strict) throw new Error(`weights are missing parameter "${name}"`);
        continue;
      }
      if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
        throw new Error(`weights for "${name}" have shape [${t.shape}], expected [${v.shape}]`);
      }
    }
    if (strict) {
      const extra = Object.keys(map).filter((k) => !this.vars.has(k));
      if (extra.length) throw new Error(`weights have unknown parameters: ${extra.slice(0, 5).join(', ')}`);
    }
    for (const [name, v] of this.vars) if (map[name]) v.assign(map[name]);
  }

  /** tf.io-encoded weights: `{ data, specs }` (the layout of a weights shard + manifest entries). */
  async encode(): Promise<{ data: ArrayBuffer; specs: tf.io.WeightsManifestEntry[] }> {
    const named = this.specs.map((s) => ({ name: s.name, tensor: this.vars.get(s.name)! }));
    const { data, specs } = await tf.io.encodeWeights(named);
    return { data: data as ArrayBuffer, specs };
  }

  /** Loads tf.io-encoded weights produced by `encode()` (or any tf.io shard with these names). */
  decodeAndLoad(data: ArrayBuffer, specs: tf.io.WeightsManifestEntry[], opts?: { strict?: boolean }): void {
    const map = tf.io.decodeWeights(data, specs);
    try {
      this.load(map, opts);
    } finally {
      tf.dispose(Object.values(map));
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
