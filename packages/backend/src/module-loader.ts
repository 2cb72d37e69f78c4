// Synchronous, optional module loading that works from both the ESM and CJS builds and
// resolves first from the user's project (process.cwd()) and then from this package.
import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

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

/** Directory of an installed package (first match from the project, then from this package), or null. */
export function resolvePackageDir(specifier: string): string | null {
  for (const { req } of requirers()) {
    try {
      return dirname(req.resolve(`${specifier}/package.json`));
    } catch {
      // try the next base
    }
  }
  return null;
}

/**
 * Loads @tensorflow/tfjs-node(-gpu) only when its native addon (lib/napi-v*\/tfjs_binding.node,
 * fetched with libtensorflow by the package's install script) exists. Requiring a package whose
 * addon is missing registers hundreds of kernels before throwing; checking first avoids that.
 */
export function loadTfjsNode(specifier: string): LoadResult {
  const dir = resolvePackageDir(specifier);
  if (dir == null) return { ok: false, missing: true };
  const lib = join(dir, 'lib');
  const hasAddon =
    existsSync(lib) && readdirSync(lib).some((d) => /^napi-v\d+$/.test(d) && existsSync(join(lib, d, 'tfjs_binding.node')));
  if (!hasAddon) {
    return {
      ok: false,
      missing: false,
      error: new Error(
        'installed without its native addon lib/napi-v*/tfjs_binding.node (libtensorflow was not fetched at install)',
      ),
    };
  }
  return loadOptional(specifier);
}
