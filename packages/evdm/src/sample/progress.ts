import cliProgress from 'cli-progress';

export interface SamplingProgress {
  /** Pass as `sampleVideo({ onStep })`. */
  onStep: (done: number, total: number) => void;
  stop: () => void;
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * Progress of a sampling run (denoising steps over all roll-out blocks): a bar on a terminal,
 * otherwise a plain line every 10% with elapsed time and ETA (logs stay readable).
 */
export function samplingProgress(label: string, log: (line: string) => void, tty = Boolean(process.stderr.isTTY)): SamplingProgress {
  const t0 = Date.now();
  let bar: cliProgress.SingleBar | null = null;
  let lastDecile = 0;
  return {
    onStep(done, total) {
      if (tty) {
        if (!bar) {
          bar = new cliProgress.SingleBar({ format: `${label} |{bar}| {value}/{total} steps | ETA {eta_formatted}`, hideCursor: true }, cliProgress.Presets.shades_classic);
          bar.start(total, 0);
        }
        bar.update(done);
        return;
      }
      const decile = Math.floor((10 * done) / total);
      if (decile > lastDecile || done === total) {
        lastDecile = decile;
        const elapsed = (Date.now() - t0) / 1000;
        const eta = done < total ? `, ETA ${clock((elapsed / done) * (total - done))}` : '';
        log(`${label}: ${done}/${total} steps (${clock(elapsed)}${eta})`);
      }
    },
    stop() {
      bar?.stop();
    },
  };
}
