/**
 * Graceful stop on SIGINT (Ctrl-C) and SIGTERM (timeout, docker stop, systemd, Slurm, Kubernetes):
 * the first signal only sets a flag that a loop polls between steps (the loop must yield to the
 * event loop, or the handler never runs); a second one exits at once with the signal's code, which
 * is safe because every file is written under a temporary name and renamed.
 */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Shell convention: 128 + signal number. */
export const SIGNAL_EXIT_CODE: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

export interface StopRequest {
  /** The first signal received, or null. */
  readonly signal: StopSignal | null;
  /** Removes the handlers (the default actions come back). */
  dispose(): void;
}

export function onStopSignals(
  onFirst: (signal: StopSignal) => void,
  {
    exit = (code: number) => process.exit(code),
    onSecond,
  }: { exit?: (code: number) => void; onSecond?: (signal: StopSignal) => void } = {},
): StopRequest {
  let first: StopSignal | null = null;
  const handler = (signal: StopSignal) => {
    if (first !== null) {
      onSecond?.(signal);
      exit(SIGNAL_EXIT_CODE[signal]);
      return;
    }
    first = signal;
    onFirst(signal);
  };
  const onInt = () => handler('SIGINT');
  const onTerm = () => handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    get signal() {
      return first;
    },
    dispose() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
