// The npm tarball ships a linux-x64 prebuilt addon that loads without compiling: `npm pack` (prepack
// runs prebuildify), extract it into a folder with only its dependencies beside it (no build/, no
// source build tools used), run its install script (must take the prebuild, not compile), and load
// the native kernels from the extracted copy. Skipped (exit 0, one line) off linux-x64 or without the
// oneDNN headers, which packing needs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const pkgDir = new URL('..', import.meta.url).pathname;
if (process.platform !== 'linux' || process.arch !== 'x64' || !existsSync('/usr/include/oneapi/dnnl/dnnl.hpp')) {
  console.log('packed-prebuild smoke skipped: needs linux-x64 with libdnnl-dev');
  process.exit(0);
}
const fail = (msg) => {
  throw new Error(`packed-prebuild: ${msg}`);
};
const tmp = mkdtempSync(join(tmpdir(), 'evdm-packed-'));
try {
  const pack = spawnSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: pkgDir, encoding: 'utf8' });
  if (pack.status !== 0) fail(`npm pack failed:\n${pack.stdout}\n${pack.stderr}`);
  const info = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')))[0];
  const files = info.files.map((f) => f.path);
  const prebuilt = 'prebuilds/linux-x64/@evdm+backend-native.glibc.node';
  if (!files.includes(prebuilt)) fail(`tarball lacks ${prebuilt}: ${files.join(', ')}`);
  if (files.some((f) => f.startsWith('build/'))) fail('tarball contains build/');
  const app = join(tmp, 'app');
  const dest = join(app, 'node_modules', '@evdm', 'backend-native');
  mkdirSync(dest, { recursive: true });
  if (spawnSync('tar', ['-xzf', join(tmp, info.filename), '-C', dest, '--strip-components=1']).status !== 0) fail('tar failed');
  // its runtime dependencies, as an installer would place them
  const deps = { ...JSON.parse(readFileSync(join(dest, 'package.json'), 'utf8')).dependencies, '@tensorflow/tfjs-core': '' };
  for (const name of Object.keys(deps)) {
    const target = join(app, 'node_modules', name);
    mkdirSync(join(target, '..'), { recursive: true });
    symlinkSync(realpathSync(join(pkgDir, 'node_modules', name)), target);
  }
  const install = spawnSync(process.execPath, ['scripts/build-native.mjs', '--install'], {
    cwd: dest,
    encoding: 'utf8',
    env: { ...process.env, CXX: '/nonexistent-g++' },
  });
  if (!/using the prebuilt native kernels/.test(install.stdout))
    fail(`install script did not take the prebuild: ${install.stdout}${install.stderr}`);
  if (existsSync(join(dest, 'build', 'Release'))) fail('install compiled from source');
  const probe = `import { loadNative, resolveAddon } from '@evdm/backend-native';
const s = loadNative(); console.log(JSON.stringify({ s, path: resolveAddon() }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: app, encoding: 'utf8' });
  if (r.status !== 0) fail(`loading failed: ${r.stderr}`);
  const { s, path } = JSON.parse(r.stdout.trim().split('\n').pop());
  if (!s.ok) fail(`native kernels unavailable from the extracted tarball: ${s.reason}`);
  if (!path.endsWith(prebuilt)) fail(`loaded ${path}, not the prebuild`);
  const kb = (info.files.find((f) => f.path === prebuilt).size / 1024).toFixed(0);
  console.log(
    `packed prebuild ok: ${info.filename} ships ${prebuilt} (${kb} KiB), loads ${s.version} with ${s.threads} thread(s)`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
  rmSync(join(pkgDir, 'prebuilds'), { recursive: true, force: true });
}
