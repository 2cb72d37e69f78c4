// Synchronous, optional module loading that works from both the ESM and CJS builds and
// resolves first from the user's project (process.cwd()) and then from this package.
import { createRequire } from 'node:module';
import { join } from 'node:path';

export type LoadResult =
  | { ok: true; module: unknown; resolvedFrom: string }
  | { ok: false; missing: true }
  | { ok: false; missing: false; error: Error };

function requirers(): { label: string; req: NodeRequire }[] {
  const list = [{ label: 'project', req: createRequire(join(process.cwd(), 'noop.js')) }];
  // tsup's shims give import.meta.url in the CJS build too.
  list.push({ label: '@evdm/backend', req: createRequire(import.meta.url) });
  return list;
}

function isNotFound(err: unknown, specifier: string): boolean {
  const e = err as NodeJS.ErrnoException;
  return e?.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' && e.message.includes(`'${specifier}'`);
}

/**
 * Resolves `specifier` from the project, then from this package, and requires it. A package that
 * is absent gives `missing: true`; one that is present but throws while loading (e.g. tfjs-node
 * without its libtensorflow binary) gives the error.
 */
export function loadOptional(specifier: string): LoadResult {
  for (const { label, req } of requirers()) {
    let path: string;
    try {
      path = req.resolve(specifier);
    } catch (err) {
      if (isNotFound(err, specifier)) continue;
      return { ok: false, missing: false, error: err as Error };
    }
    try {
      return { ok: true, module: req(path), resolvedFrom: label };
    } catch (err) {
      return { ok: false, missing: false, error: err as Error };
    }
  }
  return { ok: false, missing: true };
}
