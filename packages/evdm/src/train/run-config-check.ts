import { NoiseSchedule, type ScheduleConfigInput } from '@evdm/diffusion';
import type { SamplerConfig } from '../sample/predict';

/**
 * Checks of the `data`, `schedule` and `preview` sections of a run config, so every mistake fails
 * before the first step (not at the first preview, after the work is done). Errors name the key and value.
 */
const DATA_KEYS: Record<string, string[]> = {
  synthetic: ['source', 'seed', 'squareSize'],
  dataset: ['source', 'path', 'seed', 'flip', 'prefetch', 'smmnist', 'imageSize'],
};
const SMMNIST_KEYS = ['imageSize', 'digitSize', 'numDigits'];
const PREVIEW_KEYS = ['sampler', 'steps', 'eta', 'spacing', 'clipX0'];

const isInt = (v: unknown, min: number) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
const show = (v: unknown) => JSON.stringify(v) ?? String(v);

function unknownKeys(o: Record<string, unknown>, known: string[], section: string): void {
  const bad = Object.keys(o).filter((k) => !known.includes(k));
  if (bad.length) throw new Error(`unknown key(s) ${bad.map((k) => `${section}.${k}`).join(', ')} (known: ${known.join(', ')})`);
}

/** Key names, types and ranges of the `data` section (the source itself is checked by the caller). */
export function checkDataSection(data: Record<string, unknown>): void {
  unknownKeys(data, DATA_KEYS[data.source === 'synthetic' ? 'synthetic' : 'dataset'], 'data');
  if (data.seed !== undefined && !isInt(data.seed, 0))
    throw new Error(`data.seed must be an integer in [0, 2^53 - 1], got ${show(data.seed)}`);
  if (data.squareSize !== undefined && !isInt(data.squareSize, 1))
    throw new Error(`data.squareSize must be a positive integer, got ${show(data.squareSize)}`);
  if (data.path !== undefined && (typeof data.path !== 'string' || data.path === ''))
    throw new Error(`data.path must be a non-empty string, got ${show(data.path)}`);
  if (data.flip !== undefined && typeof data.flip !== 'boolean')
    throw new Error(`data.flip must be true or false, got ${show(data.flip)}`);
  if (data.prefetch !== undefined && !isInt(data.prefetch, 0))
    throw new Error(`data.prefetch must be an integer >= 0, got ${show(data.prefetch)}`);
  if (data.smmnist !== undefined) {
    const s = data.smmnist as Record<string, unknown>;
    if (!s || typeof s !== 'object' || Array.isArray(s)) throw new Error(`data.smmnist must be an object, got ${show(s)}`);
    unknownKeys(s, SMMNIST_KEYS, 'data.smmnist');
    for (const k of SMMNIST_KEYS)
      if (s[k] !== undefined && !isInt(s[k], 1))
        throw new Error(`data.smmnist.${k} must be a positive integer, got ${show(s[k])}`);
  }
}

/** The schedule (built once to validate it) and the preview sampler, whose steps must fit its T. */
export function checkScheduleAndPreview(schedule: unknown, preview: unknown): void {
  if (schedule === null || typeof schedule !== 'object' || Array.isArray(schedule))
    throw new Error(`"schedule" must be an object, got ${show(schedule)}`);
  let T: number;
  try {
    T = new NoiseSchedule(schedule as ScheduleConfigInput).T;
  } catch (e) {
    throw new Error(`schedule: ${(e as Error).message}`);
  }
  if (preview === null || typeof preview !== 'object' || Array.isArray(preview))
    throw new Error(`"preview" must be an object, got ${show(preview)}`);
  const p = preview as Partial<Record<keyof SamplerConfig, unknown>>;
  unknownKeys(p, PREVIEW_KEYS, 'preview');
  if (p.sampler !== undefined && p.sampler !== 'ddpm' && p.sampler !== 'ddim')
    throw new Error(`preview.sampler must be "ddpm" or "ddim", got ${show(p.sampler)}`);
  if (p.steps !== undefined && !(isInt(p.steps, 1) && (p.steps as number) <= T))
    throw new Error(`preview.steps must be an integer in [1, ${T}] (the schedule's T), got ${show(p.steps)}`);
  if (p.eta !== undefined && !(typeof p.eta === 'number' && p.eta >= 0 && Number.isFinite(p.eta)))
    throw new Error(`preview.eta must be a number >= 0, got ${show(p.eta)}`);
  if (p.spacing !== undefined && p.spacing !== 'mcvd' && p.spacing !== 'leading')
    throw new Error(`preview.spacing must be "mcvd" or "leading", got ${show(p.spacing)}`);
  if (p.clipX0 !== undefined && typeof p.clipX0 !== 'boolean')
    throw new Error(`preview.clipX0 must be true or false, got ${show(p.clipX0)}`);
}
