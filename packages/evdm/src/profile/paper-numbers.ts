/** The paper's published structure numbers (Tables 1, 2, 8), transcribed from the paper text. */

/** Table 1 (KTH, C0 = 96, batch 64): per level, conv params (M), conv GFLOPs, attention GFLOPs. */
export const TABLE1: Record<'mcvd' | 'evdm' | 'evdm-l', { convParamsM: number[]; convGflops: number[]; attnGflops: number[] }> = {
  mcvd: { convParamsM: [2.59, 8.23, 16.86, 31.14], convGflops: [334.33, 483.53, 274.08, 139.67], attnGflops: [0, 106.49, 23.63, 10.5] },
  evdm: { convParamsM: [1.66, 4.07, 6.99, 11.4], convGflops: [59.78, 95.7, 53.9, 26.82], attnGflops: [0, 36.5, 19.12, 10.92] },
  'evdm-l': { convParamsM: [1.36, 2.99, 4.72, 7.26], convGflops: [16.77, 25.22, 13.93, 6.86], attnGflops: [0, 36.5, 19.12, 10.92] },
};

/** Table 2: params (M) and GFLOPs per dataset and model (UCF-101 at batch 32, the rest at 64). */
export const TABLE2: Array<{ dataset: 'smmnist' | 'kth' | 'bair' | 'ucf101'; model: 'mcvd' | 'evdm' | 'evdm-l'; paramsM: number; gflops: number }> = [
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
