/**
 * Translates an MCVD YAML config (configs/*.yml of voletiv/mcvd-pytorch) into evdm's network,
 * schedule and sampling settings. Every field MCVD's shipped configs use is known here: it is either
 * translated, checked to have the one value evdm implements, or listed as training/evaluation-only.
 * An unknown field, or a value evdm cannot run (3-D U-Net, SMLD, gamma noise, ...), is an error
 * naming the field.
 */
import { parse } from 'yaml';
import type { ScheduleConfigInput } from '@evdm/diffusion';
import { resolveNetworkConfig, type NetworkConfig } from '../models/network-config';

export interface McvdSampling {
  sampler: 'ddpm' | 'ddim';
  /** `sampling.subsample`: number of denoiser steps (MCVD's step spacing). */
  steps: number;
  /** `sampling.denoise`: MCVD's extra final denoising call. */
  finalDenoise: 'mcvd' | 'none';
  /** `sampling.clip_before`: clip x̂0 to [-1, 1] in every step. */
  clipX0: boolean;
  /** `sampling.num_frames_pred`: frames MCVD predicts autoregressively at test time. */
  framesToPredict: number | null;
}

export interface McvdImportConfig {
  network: NetworkConfig;
  schedule: ScheduleConfigInput;
  sampling: McvdSampling;
  data: { dataset: string | null; probMaskCond: number; probMaskFuture: number; probMaskSync: boolean; rescaled: boolean };
  ema: { enabled: boolean; rate: number | null };
}

type Section = Record<string, unknown>;

/** Fields that do not affect the network or sampling (training, evaluation and data-loading knobs). */
const IGNORED: Record<string, string[]> = {
  training: [
    'L1',
    'batch_size',
    'n_epochs',
    'n_iters',
    'snapshot_freq',
    'snapshot_sampling',
    'sample_freq',
    'val_freq',
    'log_freq',
    'log_all_sigmas',
    'anneal_power',
  ],
  sampling: [
    'batch_size',
    'data_init',
    'ckpt_id',
    'final_only',
    'fid',
    'ssim',
    'fvd',
    'num_samples4fid',
    'num_samples4fvd',
    'inpainting',
    'interpolation',
    'n_interpolations',
    'consistent',
    'step_lr',
    'n_steps_each',
    'train',
    'max_data_iter',
    'one_frame_at_a_time',
    'preds_per_test',
    'init_prev_t',
  ],
  fast_fid: [
    'batch_size',
    'num_samples',
    'begin_ckpt',
    'freq',
    'end_ckpt',
    'pr_nn_k',
    'verbose',
    'ensemble',
    'step_lr',
    'n_steps_each',
  ],
  test: ['begin_ckpt', 'end_ckpt', 'batch_size'],
  data: ['num_workers', 'random_flip', 'color_jitter', 'num_digits', 'step_length', 'category', 'test_subset'],
  // `nonlinearity` and `normalization` are read by MCVD's older NCSN nets only: unetmore always uses SiLU and GroupNorm.
  model: ['depth', 'type', 'dropout', 'nonlinearity', 'normalization', 'conditional'],
  optim: ['weight_decay', 'optimizer', 'lr', 'warmup', 'beta1', 'amsgrad', 'eps', 'grad_clip'],
};

/** Fields read below, by section. */
const USED: Record<string, string[]> = {
  sampling: ['subsample', 'denoise', 'clip_before', 'num_frames_pred'],
  data: [
    'dataset',
    'image_size',
    'channels',
    'num_frames',
    'num_frames_cond',
    'num_frames_future',
    'prob_mask_cond',
    'prob_mask_future',
    'prob_mask_sync',
    'rescaled',
    'logit_transform',
    'uniform_dequantization',
    'gaussian_dequantization',
  ],
  model: [
    'version',
    'gamma',
    'arch',
    'time_conditional',
    'sigma_dist',
    'sigma_begin',
    'sigma_end',
    'num_classes',
    'ema',
    'ema_rate',
    'spec_norm',
    'ngf',
    'ch_mult',
    'num_res_blocks',
    'attn_resolutions',
    'n_head_channels',
    'noise_in_cond',
    'output_all_frames',
    'cond_emb',
    'spade',
    'spade_dim',
  ],
};

export function parseMcvdYaml(text: string, source = 'config'): McvdImportConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new Error(`${source}: not valid YAML: ${(e as Error).message}`);
  }
  return translateMcvdConfig(doc, source);
}

export function translateMcvdConfig(doc: unknown, source = 'config'): McvdImportConfig {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`);
  };
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    fail('expected a YAML mapping with sections data, model, sampling, ...');
  const root = doc as Record<string, unknown>;
  for (const [name, sec] of Object.entries(root)) {
    const known = [...(IGNORED[name] ?? []), ...(USED[name] ?? [])];
    if (!IGNORED[name] && !USED[name]) fail(`unknown section "${name}" (MCVD configs have ${Object.keys(IGNORED).join(', ')})`);
    if (!sec || typeof sec !== 'object' || Array.isArray(sec)) fail(`section "${name}" must be a mapping`);
    for (const k of Object.keys(sec as Section))
      if (!known.includes(k)) fail(`unknown field "${name}.${k}" (not used by any MCVD config evdm knows)`);
  }
  const data = (root.data ?? fail('missing section "data"')) as Section;
  const model = (root.model ?? fail('missing section "model"')) as Section;
  const sampling = (root.sampling ?? {}) as Section;

  const num = (sec: Section, secName: string, k: string, dflt?: number): number => {
    const v = sec[k] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${secName}.${k} must be a number, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const int = (sec: Section, secName: string, k: string, dflt?: number): number => {
    const v = num(sec, secName, k, dflt);
    if (!Number.isInteger(v)) fail(`${secName}.${k} must be an integer, got ${v}`);
    return v;
  };
  const bool = (sec: Section, secName: string, k: string, dflt: boolean): boolean => {
    const v = sec[k] ?? dflt;
    if (typeof v !== 'boolean') fail(`${secName}.${k} must be true or false, got ${JSON.stringify(v)}`);
    return v as boolean;
  };
  const mustBe = (sec: Section, secName: string, k: string, want: unknown, why: string) => {
    if (sec[k] !== undefined && sec[k] !== want)
      fail(`${secName}.${k} = ${JSON.stringify(sec[k])} is not supported (${why}; evdm needs ${JSON.stringify(want)})`);
  };

  const arch = String(model.arch ?? 'unetmore');
  if (arch === 'unetmore3d' || arch === 'unetmorepseudo3d')
    fail(`model.arch = "${arch}" (MCVD's 3-D U-Net) is not supported: evdm implements the 2-D "unetmore" network`);
  if (arch !== 'unetmore') fail(`model.arch = "${arch}" is not supported: evdm imports MCVD's video network "unetmore"`);
  const version = String(model.version ?? 'DDPM').toUpperCase();
  if (version !== 'DDPM' && version !== 'DDIM')
    fail(`model.version = "${model.version}" is not supported (evdm has the DDPM and DDIM samplers)`);
  mustBe(model, 'model', 'gamma', false, 'gamma-distributed noise');
  mustBe(model, 'model', 'time_conditional', true, 'the network is always time-conditional');
  mustBe(model, 'model', 'spec_norm', false, 'spectral normalisation');
  mustBe(model, 'model', 'noise_in_cond', false, 'noise added to the conditioning frames');
  mustBe(model, 'model', 'output_all_frames', false, 'predicting the conditioning frames too');
  mustBe(model, 'model', 'cond_emb', false, 'a learned embedding of the conditioning mask');
  mustBe(data, 'data', 'logit_transform', false, 'logit data transform');
  mustBe(data, 'data', 'uniform_dequantization', false, 'dequantization is a training-time transform');
  mustBe(data, 'data', 'gaussian_dequantization', false, 'dequantization is a training-time transform');
  const dist = model.sigma_dist ?? 'linear';
  if (dist !== 'linear')
    fail(`model.sigma_dist = ${JSON.stringify(dist)} is not supported (evdm imports MCVD's linear DDPM schedule)`);

  const ngf = int(model, 'model', 'ngf');
  const chMult = model.ch_mult;
  if (!Array.isArray(chMult) || chMult.some((m) => !Number.isInteger(m)))
    fail(`model.ch_mult must be a list of integers, got ${JSON.stringify(chMult)}`);
  const imageSize = int(data, 'data', 'image_size');
  const levels = (chMult as number[]).map((_, i) => Math.floor(imageSize / 2 ** i));
  const attn = model.attn_resolutions ?? [];
  if (!Array.isArray(attn) || attn.some((r) => !Number.isInteger(r)))
    fail(`model.attn_resolutions must be a list of integers, got ${JSON.stringify(attn)}`);
  const nHead = int(model, 'model', 'n_head_channels', -1);
  const spade = bool(model, 'model', 'spade', false);
  let network: NetworkConfig;
  try {
    network = resolveNetworkConfig({
      arch: 'mcvd',
      baseChannels: ngf,
      channelMult: chMult as number[],
      numResBlocks: int(model, 'model', 'num_res_blocks'),
      // MCVD adds attention at the listed resolutions that are level resolutions and ignores the others.
      attnResolutions: (attn as number[]).filter((r) => levels.includes(r)),
      imageSize,
      imageChannels: int(data, 'data', 'channels'),
      pastFrames: int(data, 'data', 'num_frames_cond', 0),
      currentFrames: int(data, 'data', 'num_frames'),
      futureFrames: int(data, 'data', 'num_frames_future', 0),
      // n_head_channels -1 = one head per attention layer: a head width no layer exceeds
      headChannels: nHead === -1 ? ngf * Math.max(...(chMult as number[])) : nHead,
      dropout: num(model, 'model', 'dropout', 0),
      spade: spade ? { hiddenChannels: int(model, 'model', 'spade_dim', 128) } : null,
      timestepConvention: 'mcvd',
    });
  } catch (e) {
    fail((e as Error).message);
  }
  const T = int(model, 'model', 'num_classes');
  const sigmaBegin = num(model, 'model', 'sigma_begin');
  const sigmaEnd = num(model, 'model', 'sigma_end');
  // MCVD's betas = linspace(sigma_begin, sigma_end, T) run from the noisiest label 0; standard t is reversed.
  const schedule: ScheduleConfigInput = { kind: 'linear', T, betaStart: sigmaEnd, betaEnd: sigmaBegin };
  const steps = sampling.subsample === undefined || sampling.subsample === null ? T : int(sampling, 'sampling', 'subsample');
  if (steps < 1 || steps > T) fail(`sampling.subsample must be in [1, ${T}], got ${steps}`);
  const pred = sampling.num_frames_pred;
  return {
    network: network!,
    schedule,
    sampling: {
      sampler: version === 'DDIM' ? 'ddim' : 'ddpm',
      steps,
      finalDenoise: bool(sampling, 'sampling', 'denoise', true) ? 'mcvd' : 'none',
      clipX0: bool(sampling, 'sampling', 'clip_before', true),
      framesToPredict: typeof pred === 'number' ? pred : null,
    },
    data: {
      dataset: typeof data.dataset === 'string' ? data.dataset : null,
      probMaskCond: num(data, 'data', 'prob_mask_cond', 0),
      probMaskFuture: num(data, 'data', 'prob_mask_future', 0),
      probMaskSync: bool(data, 'data', 'prob_mask_sync', false),
      rescaled: bool(data, 'data', 'rescaled', true),
    },
    ema: {
      enabled: bool(model, 'model', 'ema', true),
      rate: model.ema_rate === undefined ? null : num(model, 'model', 'ema_rate'),
    },
  };
}
