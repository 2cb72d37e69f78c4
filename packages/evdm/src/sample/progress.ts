import cliProgress from 'cli-progress';
import { formatDuration } from '../io/format';

export interface SamplingProgress {
  /** Pass as `sampleVideo({ onStep })`. */
  onStep: (done: number, total: number) => void;
  stop: () => void;
}

/**
 * Progress of a sampling run (denoising steps over all roll-out blocks): a bar on a terminal,
 * otherwise a plain line every 10% with elapsed time and ETA (logs stay readable).
 */
export function samplingProgress(
  label: string,
  log: (line: string) => void,
  tty = Boolean(process.stderr.isTTY),
): SamplingProgress {
  const t0 = Date.now();
  let bar: cliProgress.SingleBar | null = null;
  let lastDecile = 0;
  return {
    onStep(done, total) {
      if (tty) {
        if (!bar) {
          bar = new cliProgress.SingleBar(
            { format: `${label} |{bar}| {value}/{total} steps | ETA {eta}`, hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total, 0, { eta: '-' });
        }
        const elapsed = (Date.now() - t0) / 1000;
        bar.update(done, { eta: done > 0 ? formatDuration((elapsed / done) * (total - done)) : '-' });
        return;
      }
      const decile = Math.floor((10 * done) / total);
      if (decile > lastDecile || done === total) {
        lastDecile = decile;
        const elapsed = (Date.now() - t0) / 1000;
        const eta = done < total ? `, ETA ${formatDuration((elapsed / done) * (total - done))}` : '';
        log(`${label}: ${done}/${total} steps (${formatDuration(elapsed)}${eta})`);
      }
    },
    stop() {
      bar?.stop();
    },
  };
}
