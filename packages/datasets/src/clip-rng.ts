import { Rng } from '@evdm/core';
import { DatasetError } from './errors';
import type { ClipOptions, Split } from './types';

/**
 * The generator a clip draws from: the caller's, or one seeded from (seed, split, index) so that a
 * clip index always gives the same clip (this is what makes the test sets deterministic).
 */
export function clipRng(options: ClipOptions | undefined, index: number, split: Split): Rng {
  if (options?.rng) return options.rng;
  const seed = options?.seed ?? 0;
  return new Rng(BigInt(seed) * 2n + (split === 'test' ? 1n : 0n), BigInt(index) + 1n);
}

/** Validates a clip index against a split length. */
export function checkIndex(name: string, index: number, split: Split, length: number): void {
  if (split !== 'train' && split !== 'test') {
    throw new DatasetError('split', `must be "train" or "test", got ${JSON.stringify(split)}`);
  }
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new DatasetError(`${name} ${split} index`, `${index} is out of range [0, ${length})`);
  }
}
