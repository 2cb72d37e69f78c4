import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What `evdm train` writes in a run directory; a new run never replaces any of them. */
export const RUN_FILES = ['config.json', 'train.jsonl', 'loss.svg', 'checkpoints', 'samples'];

/** Why `dir` looks like (part of) a training run, or null: config.json, train.jsonl, checkpoints or any step-N. */
export function runEvidence(dir: string): string | null {
  if (!existsSync(dir)) return null;
  const names = readdirSync(dir);
  for (const n of ['config.json', 'train.jsonl']) if (names.includes(n)) return `it holds ${n}`;
  const step = names.find((n) => /^step-\d+$/.test(n));
  if (step) return `it holds ${step}`;
  const ck = join(dir, 'checkpoints');
  if (existsSync(ck) && statSync(ck).isDirectory()) {
    const inner = readdirSync(ck).find((n) => /^step-\d+$/.test(n) || n === 'latest.json');
    if (inner) return `it holds checkpoints/${inner}`;
  }
  return null;
}

/**
 * Checks `dir` can take a NEW run: it must not exist, be empty, or (with `force`) hold none of the
 * files a run writes. Nothing is ever deleted; a directory that looks like a run is refused even
 * with `force` (continue it with --resume instead).
 */
export function checkNewRunDir(dir: string, { force = false }: { force?: boolean } = {}): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new Error(`--out ${dir} is a file, not a directory`);
  const evidence = runEvidence(dir);
  if (evidence) {
    throw new Error(
      `${dir} already holds a training run; continue it with --resume ${dir} or pick another --out (${evidence}; not even --force overwrites a run)`,
    );
  }
  const names = readdirSync(dir);
  if (names.length === 0) return;
  const clash = names.filter((n) => RUN_FILES.includes(n));
  if (clash.length) throw new Error(`--out ${dir} holds ${clash.join(', ')}, which a run would overwrite: pick another --out`);
  if (!force) {
    throw new Error(
      `--out ${dir} is not empty (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''}): pick a new or empty directory, or add --force to write the run beside those files (none is deleted or overwritten)`,
    );
  }
}
