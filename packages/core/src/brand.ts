import type * as tf from '@tensorflow/tfjs-core';

/**
 * Class identity across copies. `instanceof` compares prototypes, so it is false for an object made
 * by the other build of a package (ESM vs CJS, e.g. under a CJS test runner) or by a second installed
 * copy. A class that marks its instances with a `Symbol.for` key (the same symbol in every copy) and
 * answers `static [Symbol.hasInstance]` with `brandedInstanceOf` keeps `instanceof` true across them.
 */
export function hasBrand(x: unknown, key: symbol): boolean {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[key] === true;
}

/** `x instanceof self` for a branded class `cls`: the brand for `cls` itself, the prototype chain for subclasses. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function brandedInstanceOf(cls: Function, self: Function, key: symbol, x: unknown): boolean {
  return self === cls ? hasBrand(x, key) : Function.prototype[Symbol.hasInstance].call(self, x);
}

/** Whether `t` is a tensor, duck-typed: a tensor of a second tfjs-core copy (ESM and CJS builds) fails instanceof. */
export const isTensor = (t: unknown): t is tf.Tensor =>
  !!t && typeof t === 'object' && Array.isArray((t as tf.Tensor).shape) && typeof (t as tf.Tensor).dtype === 'string';
