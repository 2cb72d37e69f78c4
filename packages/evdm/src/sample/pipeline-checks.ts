import type { OptionNames } from '../runtime/option-names';
import type { SamplerConfig } from './predict';

export const SAMPLE_MODES = ['predict', 'interpolate', 'generate'] as const;
export type SampleMode = (typeof SAMPLE_MODES)[number];

/** An integer option of a pipeline function, >= min and exact (at most 2^53 - 1); the error names the option and value. */
export function checkPipelineInt(what: string, v: number, min: number): number {
  if (!Number.isSafeInteger(v) || v < min) throw new Error(`${what} must be an integer >= ${min}, got ${v}`);
  return v;
}

/** The options sample and evaluateCheckpoint share, checked and with their defaults (predict, DDPM 100 steps, 1 trajectory). */
export function checkSamplingOptions(
  o: { mode?: SampleMode; sampler?: Partial<SamplerConfig>; trajectories?: number },
  name: OptionNames,
) {
  const mode = o.mode ?? 'predict';
  if (!SAMPLE_MODES.includes(mode)) throw new Error(`${name('mode')} must be predict, interpolate or generate, got "${mode}"`);
  const sampler = checkSampler({ sampler: 'ddpm', steps: 100, eta: 0, ...o.sampler }, name);
  return { mode, sampler, trajectories: checkPipelineInt(name('trajectories'), o.trajectories ?? 1, 1) };
}

/** The sampler options of sample / evaluate: a known sampler, integer steps >= 1, eta >= 0. */
export function checkSampler(
  s: Partial<SamplerConfig> & Pick<SamplerConfig, 'sampler' | 'steps' | 'eta'>,
  name: OptionNames,
): Partial<SamplerConfig> & Pick<SamplerConfig, 'sampler' | 'steps' | 'eta'> {
  if (s.sampler !== 'ddpm' && s.sampler !== 'ddim')
    throw new Error(`${name('sampler')} must be ddpm or ddim, got "${s.sampler}"`);
  checkPipelineInt(name('steps'), s.steps, 1);
  if (!(s.eta >= 0)) throw new Error(`${name('eta')} must be a number >= 0, got ${s.eta}`);
  return s;
}
