/**
 * How error messages name an option of a pipeline function. Code callers see the option's own
 * name (`batchSize 100000000 needs about ...`); the CLI passes its flags (`--batch ...`), so one
 * check serves both and the CLI's messages stay what they were.
 */
export type OptionNames = (option: string) => string;

export const ownOptionNames: OptionNames = (option) => option;

/** `--kebab-case` flags, with explicit renames (`{ batchSize: '--batch' }`). */
export function flagNames(renames: Record<string, string> = {}): OptionNames {
  return (option) => renames[option] ?? `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** stderr, one line at a time: the default `log` of the pipeline functions. */
export const stderrLine = (line: string): void => {
  process.stderr.write(line + '\n');
};
