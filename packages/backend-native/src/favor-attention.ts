// EvdmFavorAttention / EvdmFavorAttentionGrad (favorAttentionHeads of @evdm/attention-mixed) on the
// native addon, for both hosts: FAVOR+ over heads packed in channels, forward in one call (no head
// transposes, no [N, L, m] feature maps written out), backward recomputing the key side per slice.
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { FAVOR_ATTENTION, FAVOR_ATTENTION_GRAD, type FavorKernelAttrs } from '@evdm/core';
import { nativeAddon } from './addon';
import { hostFor, type HostName } from './host';

type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: NamedAttrMap };

/** Whether the loaded addon has the kernels (an older prebuilt binary may not). */
export function favorAttentionNative(): boolean {
  const a = nativeAddon();
  return typeof a.favorForward === 'function' && typeof a.favorBackward === 'function';
}

const describe = (t: TensorInfo | undefined) => (t ? `${t.dtype} [${t.shape}]` : 'missing');

/** [B, L, heads, d, dv, m, stabilizer] after checking every input; throws naming the kernel and shapes. */
function paramsOf(kernel: string, ins: Args['inputs'], a: FavorKernelAttrs): number[] {
  const { q, k, v, projection } = ins;
  const bad = (why: string) =>
    new Error(
      `@evdm/backend-native: ${kernel}: ${why} (q ${describe(q)}, k ${describe(k)}, v ${describe(v)}, projection ${describe(projection)}, heads ${a?.heads})`,
    );
  for (const t of [q, k, v, projection]) if (!t || t.dtype !== 'float32') throw bad('inputs must be float32 tensors');
  if (q!.shape.length !== 3 || k!.shape.length !== 3 || v!.shape.length !== 3) throw bad('q, k, v must be [B, L, channels]');
  if (projection!.shape.length !== 2) throw bad('projection must be [m, d]');
  const [b, l, c] = q!.shape;
  const heads = a?.heads;
  if (!Number.isInteger(heads) || heads <= 0 || c % heads !== 0 || v!.shape[2] % heads !== 0)
    throw bad('heads must be a positive integer dividing the channels of q and v');
  if (k!.shape[0] !== b || k!.shape[1] !== l || k!.shape[2] !== c || v!.shape[0] !== b || v!.shape[1] !== l)
    throw bad('k must match q, v must share its [B, L]');
  const d = c / heads;
  if (projection!.shape[1] !== d) throw bad(`projection must be [m, ${d}] (head dimension ${d})`);
  if (![0, 1, 2].includes(a.stabilizer) || !(a.epsilon >= 0)) throw bad('stabilizer must be 0, 1 or 2 and epsilon >= 0');
  if (b * l * c === 0 || projection!.shape[0] === 0) throw bad('inputs must not be empty');
  return [b, l, heads, d, v!.shape[2] / heads, projection!.shape[0], a.stabilizer];
}

export function favorAttentionKernels(host: HostName): [string, (args: Args) => TensorInfo | TensorInfo[]][] {
  const forward = (args: Args): TensorInfo => {
    const a = args.attrs as unknown as FavorKernelAttrs;
    const p = paramsOf(FAVOR_ATTENTION, args.inputs, a);
    const { q, k, v, projection } = args.inputs as Record<string, TensorInfo>;
    const h = hostFor(host, args.backend);
    const out = h.alloc([...v.shape]);
    nativeAddon().favorForward!(h.view(q), h.view(k), h.view(v), h.view(projection), h.view(out), p, a.epsilon);
    return out;
  };
  const backward = (args: Args): TensorInfo[] => {
    const a = args.attrs as unknown as FavorKernelAttrs;
    const p = paramsOf(FAVOR_ATTENTION_GRAD, args.inputs, a);
    const { q, k, v, projection, dy } = args.inputs as Record<string, TensorInfo>;
    if (!dy || dy.dtype !== 'float32' || dy.shape.join() !== v.shape.join())
      throw new Error(`@evdm/backend-native: ${FAVOR_ATTENTION_GRAD}: dy must be float32 [${v.shape}], got ${describe(dy)}`);
    const h = hostFor(host, args.backend);
    const [dq, dk, dv] = [h.alloc([...q.shape]), h.alloc([...k.shape]), h.alloc([...v.shape])];
    const vw = (t: TensorInfo) => h.view(t);
    nativeAddon().favorBackward!(vw(q), vw(k), vw(v), vw(projection), vw(dy), vw(dq), vw(dk), vw(dv), p, a.epsilon);
    return [dq, dk, dv];
  };
  return favorAttentionNative()
    ? [
        [FAVOR_ATTENTION, forward],
        [FAVOR_ATTENTION_GRAD, backward],
      ]
    : [];
}
