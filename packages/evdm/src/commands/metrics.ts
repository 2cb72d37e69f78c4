import type { Command } from 'commander';
import { computeFrameMetrics, frameMetricsJson, loadVideoFromPath } from '@evdm/metrics';
import { initBackend } from '../runtime/backend';

export function registerMetrics(program: Command): void {
  program
    .command('metrics')
    .description('PSNR and SSIM (Gaussian window, and skimage uniform 7x7) between real and generated frames')
    .requiredOption('--real <path>', 'a PNG, a directory of PNG frames (one video), or a directory of such directories')
    .requiredOption('--fake <path>', 'the same layout as --real')
    .option('--json', 'print {"psnr", "ssim", "ssim_uniform7"}')
    .option('--backend <name>', 'auto, tensorflow, wasm or cpu (default: EVDM_BACKEND or auto)')
    .action(async (opts: { real: string; fake: string; json?: boolean; backend?: string }) => {
      await initBackend({ backend: opts.backend as never, log: opts.json ? () => {} : undefined });
      const real = loadVideoFromPath(opts.real);
      const fake = loadVideoFromPath(opts.fake);
      try {
        if (real.shape.join('x') !== fake.shape.join('x')) {
          throw new Error(`--real ${opts.real} has shape [${real.shape}] but --fake ${opts.fake} has shape [${fake.shape}]`);
        }
        const m = computeFrameMetrics({ real, fake });
        if (opts.json) {
          process.stdout.write(JSON.stringify(frameMetricsJson(m)) + '\n');
          return;
        }
        console.log(`videos ${m.videos}, frames per video ${m.framesPerVideo}`);
        console.log(`PSNR           ${m.psnr.toFixed(3)} dB (per video from the frame-averaged MSE, then mean)`);
        console.log(`SSIM           ${m.ssim.toFixed(4)} (Gaussian 11x11, sigma 1.5)`);
        console.log(`SSIM uniform7  ${m.ssim_uniform7.toFixed(4)} (skimage default 7x7)`);
      } finally {
        real.dispose();
        fake.dispose();
      }
    });
}
