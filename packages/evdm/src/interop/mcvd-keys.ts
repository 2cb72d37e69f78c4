/**
 * Maps MCVD state_dict keys (`[module.]unet.all_modules.<i>.<path>`, layouts of PyTorch) onto the
 * parameters of evdm's MCVD network (TF layouts). evdm's `DenoisingUNet.modules` lists the modules
 * in MCVD's `all_modules` order, so module i of one is module i of the other; inside a module the
 * names follow the table below. Conv kernels go from [out, in, kh, kw] to [kh, kw, in, out], Linear
 * weights from [out, in] to [in, out]; NIN weights are already [in, out].
 */
import type { DenoisingUNet } from '../models/unet';
import type { HostTensor } from './torch-checkpoint';

export type Layout = 'conv' | 'dense' | 'copy';

export interface KeyMapping {
  /** evdm parameter name. */
  name: string;
  /** MCVD key without the `module.` prefix. */
  key: string;
  layout: Layout;
  /** evdm shape. */
  shape: number[];
}

/** MCVD buffers that are not parameters of the network: the noise schedule (recomputed by evdm). */
export const MCVD_BUFFERS = ['betas', 'alphas', 'alphas_prev', 'unet.sigmas', 'k', 'k_cum', 'theta_t'];

const BLOCK_PARTS: Array<[RegExp, string]> = [
  [/^norm([01])\/dense\/(kernel|bias)$/, 'actnorm$1.Dense_0.$W'],
  [/^norm([01])\/spade\/shared\/(kernel|bias)$/, 'actnorm$1.Norm_0.mlp_shared.0.$W'],
  [/^norm([01])\/spade\/gamma\/(kernel|bias)$/, 'actnorm$1.Norm_0.mlp_gamma.$W'],
  [/^norm([01])\/spade\/beta\/(kernel|bias)$/, 'actnorm$1.Norm_0.mlp_beta.$W'],
  [/^conv0\/(kernel|bias)$/, 'Conv_0.$W'],
  [/^conv1\/(kernel|bias)$/, 'Conv_1.$W'],
  [/^shortcut\/(kernel|bias)$/, 'Conv_2.$W'],
];
const ATTENTION_PARTS: Record<string, string> = {
  'norm/gamma': 'GroupNorm_0.weight',
  'norm/beta': 'GroupNorm_0.bias',
  'q/kernel': 'NIN_0.W',
  'q/bias': 'NIN_0.b',
  'k/kernel': 'NIN_1.W',
  'k/bias': 'NIN_1.b',
  'v/kernel': 'NIN_2.W',
  'v/bias': 'NIN_2.b',
  'out/kernel': 'NIN_3.W',
  'out/bias': 'NIN_3.b',
};
const OUT_NORM_PARTS: Record<string, string> = {
  gamma: 'Norm_0.weight',
  beta: 'Norm_0.bias',
  'spade/shared/kernel': 'Norm_0.mlp_shared.0.weight',
  'spade/shared/bias': 'Norm_0.mlp_shared.0.bias',
  'spade/gamma/kernel': 'Norm_0.mlp_gamma.weight',
  'spade/gamma/bias': 'Norm_0.mlp_gamma.bias',
  'spade/beta/kernel': 'Norm_0.mlp_beta.weight',
  'spade/beta/bias': 'Norm_0.mlp_beta.bias',
};

function wb(suffix: string): string {
  return suffix === 'kernel' ? 'weight' : 'bias';
}

/** The MCVD key and layout of every evdm parameter of `net` (an MCVD-architecture network). */
export function mcvdKeyMap(net: DenoisingUNet): KeyMapping[] {
  if (net.config.arch !== 'mcvd') throw new Error(`MCVD weights need an MCVD network, got arch "${net.config.arch}"`);
  const out: KeyMapping[] = [];
  net.modules.forEach((m, i) => {
    const base = `unet.all_modules.${i}`;
    for (const spec of m.specs) {
      if (spec.trainable === false) throw new Error(`internal: MCVD networks have no buffers, found ${spec.name}`);
      const rest = spec.name.slice(m.name.length + 1);
      const kernel = rest.endsWith('kernel');
      const layout: Layout = !kernel ? 'copy' : spec.shape.length === 4 ? 'conv' : m.group === 'attention' ? 'copy' : 'dense';
      let key: string | undefined;
      if (m.group === 'temb' || m.name === 'conv_in' || m.name === 'conv_out') {
        key = wb(rest);
      } else if (m.group === 'attention') {
        key = ATTENTION_PARTS[rest];
      } else if (m.name === 'out/norm') {
        key = OUT_NORM_PARTS[rest];
      } else {
        for (const [re, tpl] of BLOCK_PARTS) {
          const hit = re.exec(rest);
          if (hit) {
            key = tpl.replace('$1', hit[1]).replace('$W', wb(hit[hit.length - 1]));
            break;
          }
        }
      }
      if (!key) throw new Error(`internal: no MCVD name for evdm parameter ${spec.name}`);
      out.push({ name: spec.name, key: `${base}.${key}`, layout, shape: [...spec.shape] });
    }
  });
  return out;
}

/** The MCVD shape an evdm parameter of this layout comes from. */
export function torchShape(m: KeyMapping): number[] {
  const s = m.shape;
  if (m.layout === 'conv') return [s[3], s[2], s[0], s[1]];
  if (m.layout === 'dense') return [s[1], s[0]];
  return s;
}

/** Converts a PyTorch-layout tensor into evdm's layout. */
export function toEvdmLayout(m: KeyMapping, t: HostTensor): Float32Array {
  const src = t.data;
  if (m.layout === 'copy') return src;
  const out = new Float32Array(src.length);
  if (m.layout === 'dense') {
    const [o, i] = t.shape;
    for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) out[b * o + a] = src[a * i + b];
    return out;
  }
  const [o, i, kh, kw] = t.shape;
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) out[((y * kw + x) * i + b) * o + a] = src[((a * i + b) * kh + y) * kw + x];
  return out;
}

/** Converts an evdm-layout tensor back into PyTorch's layout (for exports that mirror MCVD names). */
export function toTorchLayout(m: KeyMapping, data: Float32Array): Float32Array {
  if (m.layout === 'copy') return data;
  const out = new Float32Array(data.length);
  const s = m.shape;
  if (m.layout === 'dense') {
    const [i, o] = s;
    for (let b = 0; b < i; b++) for (let a = 0; a < o; a++) out[a * i + b] = data[b * o + a];
    return out;
  }
  const [kh, kw, i, o] = s;
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let b = 0; b < i; b++)
        for (let a = 0; a < o; a++) out[((a * i + b) * kh + y) * kw + x] = data[((y * kw + x) * i + b) * o + a];
  return out;
}
