export { psnrFromMse, framewiseMse, framewisePsnr, videoPsnr, videoLayout } from './psnr';
export { framewiseSsim, ssim, gaussianTaps, mcvdLumaUint8 } from './ssim';
export type { SsimOptions, SsimWindow, SsimConvention } from './ssim';
