// prepack: builds the linux-x64 prebuilt addon that the npm tarball ships
// (prebuilds/linux-x64/@evdm+backend-native.glibc.node) with prebuildify. N-API, so one binary serves
// every Node >= 20; compiled for x86-64-v3 (AVX2/FMA, any x86 CPU since 2013-15) instead of the
// source build's -march=native, and linked dynamically against oneDNN (Debian ships no static
// libdnnl.a): the target machine needs the runtime library, libdnnl.so.2 (Debian/Ubuntu: libdnnl2).
// The binary is produced at pack time and never committed. A developer's own build/ is kept aside and
// restored. Off linux-x64, or without the oneDNN headers, it packs without a prebuild and says so.
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const tag = '@evdm/backend-native prepack:';
rmSync(join(pkgDir, 'prebuilds'), { recursive: true, force: true });
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.log(`${tag} no prebuild packed (prebuilds are made on linux-x64; this is ${process.platform}-${process.arch})`);
  process.exit(0);
}
const include = process.env.EVDM_DNNL_INCLUDE ?? '/usr/include';
if (!existsSync(join(include, 'oneapi', 'dnnl', 'dnnl.hpp'))) {
  console.error(`${tag} oneDNN headers not found in ${include}: install libdnnl-dev to pack the linux-x64 prebuild`);
  process.exit(1);
}
const req = createRequire(import.meta.url);
const prebuildify = join(dirname(req.resolve('prebuildify/package.json')), 'bin.js');
const nodeGyp = req.resolve('node-gyp/bin/node-gyp.js');
const build = join(pkgDir, 'build');
const aside = join(pkgDir, 'build.dev-aside');
rmSync(aside, { recursive: true, force: true });
if (existsSync(build)) renameSync(build, aside);
const env = { ...process.env, EVDM_MARCH: 'x86-64-v3', EVDM_DNNL_INCLUDE: include, PREBUILD_NODE_GYP: nodeGyp };
// Debian's nodejs ships its headers in /usr/include/node: no header download needed
if (existsSync('/usr/include/node/node_api.h') && process.execPath.startsWith('/usr/')) env.npm_config_nodedir = '/usr';
const started = Date.now();
const r = spawnSync(process.execPath, [prebuildify, '--napi', '--strip', '--tag-libc'], { cwd: pkgDir, env, encoding: 'utf8' });
rmSync(build, { recursive: true, force: true });
if (existsSync(aside)) renameSync(aside, build);
const out = join(pkgDir, 'prebuilds', 'linux-x64', '@evdm+backend-native.glibc.node');
if (r.status !== 0 || !existsSync(out)) {
  process.stderr.write(`${r.stdout}\n${r.stderr}\n`);
  console.error(`${tag} prebuildify failed (exit ${r.status})`);
  process.exit(1);
}
console.log(`${tag} built ${out.slice(pkgDir.length + 1)} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
