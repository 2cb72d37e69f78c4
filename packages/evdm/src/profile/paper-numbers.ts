/** The paper's published structure numbers (Tables 1, 2, 8), transcribed from the paper text. */

/** Table 1 (KTH, C0 = 96, batch 64): per level, conv params (M), conv GFLOPs, attention GFLOPs. */
export const TABLE1: Record<'mcvd' | 'evdm' | 'evdm-l', { convParamsM: number[]; convGflops: number[]; attnGflops: number[] }> = {
  mcvd: {
    convParamsM: [2.59, 8.23, 16.86, 31.14],
    convGflops: [334.33, 483.53, 274.08, 139.67],
    attnGflops: [0, 106.49, 23.63, 10.5],
  },
  evdm: { convParamsM: [1.66, 4.07, 6.99, 11.4], convGflops: [59.78, 95.7, 53.9, 26.82], attnGflops: [0, 36.5, 19.12, 10.92] },
  'evdm-l': {
    convParamsM: [1.36, 2.99, 4.72, 7.26],
    convGflops: [16.77, 25.22, 13.93, 6.86],
    attnGflops: [0, 36.5, 19.12, 10.92],
  },
};

/** Table 2: params (M) and GFLOPs per dataset and model (UCF-101 at batch 32, the rest at 64). */
export const TABLE2: Array<{
  dataset: 'smmnist' | 'kth' | 'bair' | 'ucf101';
  model: 'mcvd' | 'evdm' | 'evdm-l';
  paramsM: number;
  gflops: number;
}> = [
  { dataset: 'smmnist', model: 'mcvd', paramsM: 27.9, gflops: 631.91 },
  { dataset: 'smmnist', model: 'evdm', paramsM: 12.5, gflops: 189.66 },
  { dataset: 'smmnist', model: 'evdm-l', paramsM: 5.92, gflops: 60.64 },
  { dataset: 'kth', model: 'mcvd', paramsM: 62.8, gflops: 1376.87 },
  { dataset: 'kth', model: 'evdm', paramsM: 28.1, gflops: 307.41 },
  { dataset: 'kth', model: 'evdm-l', paramsM: 20.4, gflops: 133.99 },
  { dataset: 'bair', model: 'mcvd', paramsM: 251.2, gflops: 5328.15 },
  { dataset: 'bair', model: 'evdm', paramsM: 112.4, gflops: 1219.6 },
  { dataset: 'bair', model: 'evdm-l', paramsM: 53.0, gflops: 526.48 },
  { dataset: 'ucf101', model: 'mcvd', paramsM: 739.4, gflops: 9946.38 },
  { dataset: 'ucf101', model: 'evdm', paramsM: 252.7, gflops: 1362.88 },
  { dataset: 'ucf101', model: 'evdm-l', paramsM: 182.7, gflops: 583.38 },
];

/** Table 8 (KTH ablations). */
export const TABLE8: Array<{ row: string; paramsM: number; gflops: number }> = [
  { row: 'baseline', paramsM: 62.8, gflops: 1376.87 },
  { row: 'baseline+BRP', paramsM: 25.4, gflops: 381.64 },
  { row: 'baseline+BRP+BRP-eh', paramsM: 28.1, gflops: 381.49 },
  { row: 'baseline+BRP+MSM', paramsM: 25.4, gflops: 307.53 },
  { row: 'EVDM', paramsM: 28.1, gflops: 307.41 },
  { row: 'EVDM+SO', paramsM: 32.5, gflops: 259.86 },
  { row: 'EVDM+Split', paramsM: 25.0, gflops: 226.12 },
  { row: 'EVDM+SO+Split', paramsM: 22.2, gflops: 147.32 },
  { row: 'EVDM-L', paramsM: 20.4, gflops: 133.99 },
];

/** A published fidelity row of Tables 3-7 (only the metrics that table reports). */
export interface PaperFidelity {
  /** The paper's row label. */
  method: string;
  fvd?: number;
  psnr?: number;
  ssim?: number;
}

/** Table 3 (BAIR 64x64, predict 15 frames from 1, k = 5 frames per block, best of 100). */
export const TABLE3: Record<'mcvd' | 'evdm' | 'evdm-l', PaperFidelity> = {
  mcvd: { method: 'MCVD concat pf-mask', fvd: 89.5, psnr: 16.9, ssim: 0.78 },
  'evdm-l': { method: 'EVDM-L (Ours)', fvd: 64.4, psnr: 18.7, ssim: 0.822 },
  evdm: { method: 'EVDM (Ours)', fvd: 59.0, psnr: 18.8, ssim: 0.83 },
};

/** Table 4 (KTH 64x64, predict 30 frames from 10; MCVD = concat model, 100 DDPM steps unless noted). */
export const TABLE4: Array<{ model: 'mcvd' | 'evdm' | 'evdm-l'; steps: number } & PaperFidelity> = [
  { model: 'mcvd', steps: 100, method: 'MCVD', fvd: 323, psnr: 27.5, ssim: 0.835 },
  { model: 'evdm-l', steps: 100, method: 'EVDM-L 100 steps (Ours)', fvd: 298, psnr: 26.8, ssim: 0.816 },
  { model: 'evdm', steps: 100, method: 'EVDM 100 steps (Ours)', fvd: 290, psnr: 27.2, ssim: 0.833 },
  { model: 'evdm', steps: 1000, method: 'EVDM 1000 steps (Ours)', fvd: 206, psnr: 28.1, ssim: 0.828 },
];

/** Table 5 (UCF-101, unconditional generation of 16 frames, FVD; MCVD = spatin p-mask). */
export const TABLE5: Record<'mcvd' | 'evdm' | 'evdm-l', PaperFidelity> = {
  mcvd: { method: 'MCVD (spatin p-mask)', fvd: 1143.0 },
  'evdm-l': { method: 'EVDM-L (Ours)', fvd: 1118.4 },
  evdm: { method: 'EVDM (Ours)', fvd: 1103.6 },
};

/** Table 6 (BAIR, unconditional generation of 16 frames, FVD; MCVD = concat p-mask, the preset's model). */
export const TABLE6: Record<'mcvd' | 'evdm' | 'evdm-l', PaperFidelity> = {
  mcvd: { method: 'MCVD concat p-mask', fvd: 228.5 },
  'evdm-l': { method: 'EVDM-L (Ours)', fvd: 231.7 },
  evdm: { method: 'EVDM (Ours)', fvd: 219.9 },
};

/** Table 7 (interpolation: p + f given frames, k interpolated; best of 10 on SM-MNIST/KTH, of 100 on BAIR). */
export const TABLE7: Record<
  'smmnist' | 'kth' | 'bair',
  { pf: number; k: number; trajectories: number; rows: Record<'mcvd' | 'evdm' | 'evdm-l', PaperFidelity> }
> = {
  smmnist: {
    pf: 10,
    k: 5,
    trajectories: 10,
    rows: {
      mcvd: { method: 'MCVD', psnr: 27.693, ssim: 0.941 },
      'evdm-l': { method: 'EVDM-L (Ours)', psnr: 26.536, ssim: 0.933 },
      evdm: { method: 'EVDM (Ours)', psnr: 28.131, ssim: 0.948 },
    },
  },
  kth: {
    pf: 10,
    k: 5,
    trajectories: 10,
    rows: {
      mcvd: { method: 'MCVD', psnr: 35.611, ssim: 0.963 },
      'evdm-l': { method: 'EVDM-L (Ours)', psnr: 36.642, ssim: 0.962 },
      evdm: { method: 'EVDM (Ours)', psnr: 36.616, ssim: 0.966 },
    },
  },
  bair: {
    pf: 4,
    k: 5,
    trajectories: 100,
    rows: {
      mcvd: { method: 'MCVD', psnr: 25.162, ssim: 0.932 },
      'evdm-l': { method: 'EVDM-L (Ours)', psnr: 24.668, ssim: 0.926 },
      evdm: { method: 'EVDM (Ours)', psnr: 25.567, ssim: 0.936 },
    },
  },
};

/**
 * Table 9: training GPU hours and sampling latency (ms) on a Tesla A40, two groups of rows. The
 * paper does not say which dataset (or setting) each group is, so both are kept as published.
 */
export const TABLE9: Record<'mcvd' | 'evdm' | 'evdm-l', Array<{ gpuHours: number; latencyMs: number }>> = {
  mcvd: [
    { gpuHours: 75.2, latencyMs: 16.5 },
    { gpuHours: 181.2, latencyMs: 26.4 },
  ],
  evdm: [
    { gpuHours: 38.7, latencyMs: 10.9 },
    { gpuHours: 115.7, latencyMs: 19.3 },
  ],
  'evdm-l': [
    { gpuHours: 25.4, latencyMs: 6.1 },
    { gpuHours: 73.1, latencyMs: 7.5 },
  ],
};

/** MCVD's training steps of the checkpoints its sampling scripts use (docs/mcvd-reference.md §7), for Table 9's extrapolation. */
export const MCVD_TRAIN_STEPS: Record<'smmnist' | 'kth' | 'bair' | 'ucf101', number> = {
  smmnist: 700_000,
  kth: 400_000,
  bair: 750_000,
  ucf101: 1_050_000,
};
