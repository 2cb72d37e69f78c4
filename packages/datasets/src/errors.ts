/**
 * The one error type this package throws for bad input: it always names the offending file (or
 * argument) and says what is wrong with it, so users never get a crash from deep inside h5wasm/tfjs.
 */
export class DatasetError extends Error {
  /** File, directory or argument the problem is about. */
  readonly subject: string;

  constructor(subject: string, problem: string) {
    super(`${subject}: ${problem}`);
    this.name = 'DatasetError';
    this.subject = subject;
  }
}
