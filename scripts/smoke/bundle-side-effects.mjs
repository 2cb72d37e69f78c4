// A bundler must keep every registration file: for each package, bundle (esbuild, as an app would)
// `import '<package>/<subpath>'` for every export whose source calls registerClass, run the bundle,
// and check tfjs' serialisation registry holds every class name that source registers. A package
// whose `sideEffects` leaves a registration file out gets it silently dropped, and this fails.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'evdm-bundle-'));
let failed = 0;
let checked = 0;
try {
  mkdirSync(join(tmp, 'node_modules', '@evdm'), { recursive: true });
  for (const dir of readdirSync(join(root, 'packages'))) {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
    symlinkSync(join(root, 'packages', dir), join(tmp, 'node_modules', pkg.name));
  }
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const pkgDir = join(root, 'packages', dir);
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    for (const sub of Object.keys(pkg.exports ?? {}).filter((s) => s !== './package.json')) {
      const src = join(pkgDir, 'src', `${sub === '.' ? 'index' : sub.slice(2)}.ts`);
      if (!existsSync(src)) continue;
      const text = readFileSync(src, 'utf8');
      if (!/registerClass\(/.test(text)) continue;
      const names = [...text.matchAll(/static className = '([^']+)'/g)].map((m) => m[1]);
      const spec = sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`;
      const out = join(tmp, `${dir}-${sub === '.' ? 'index' : sub.slice(2)}.cjs`);
      const entry = join(tmp, `entry-${dir}.mjs`);
      writeFileSync(
        entry,
        `import '${spec}';\nimport * as tf from '@tensorflow/tfjs-core';\n` +
          `console.log(JSON.stringify(Object.keys(tf.serialization.SerializationMap.getMap().classNameMap)));\n`,
      );
      // tfjs-core is resolved from the package itself (the registry must be the one it registers in)
      await build({
        entryPoints: [entry],
        bundle: true,
        platform: 'node',
        format: 'cjs',
        outfile: out,
        logLevel: 'error',
        nodePaths: [join(pkgDir, 'node_modules')],
      });
      const r = spawnSync(process.execPath, [out], { encoding: 'utf8' });
      const got = r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').pop()) : [];
      const missing = names.filter((n) => !got.includes(n));
      checked++;
      if (r.status !== 0 || missing.length || names.length === 0) {
        failed++;
        console.log(
          `FAIL ${spec}: bundled app lacks ${missing.join(', ') || '(no class names found)'}${r.status ? `\n${r.stderr}` : ''}`,
        );
      } else {
        console.log(`ok   ${spec}: ${names.join(', ')} registered after bundling`);
      }
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`${checked - failed}/${checked} side-effect entry points keep their registrations when bundled`);
process.exit(failed || checked === 0 ? 1 : 0);
