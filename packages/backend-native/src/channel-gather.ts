// EvdmChannelGather / EvdmChannelGatherGrad (channelGather of @evdm/core) on the native addon, for
// both hosts: one pass over memory forward (gather (+ second gather) + addend + scale) and backward (scatter, zeros
// for unread channels, addend gradient), outputs from the host allocator (the cpu host's pool).
import { util, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { ChannelGatherAttrs, ChannelGatherGradAttrs } from '@evdm/core';
import { nativeAddon } from './addon';
import { hostFor, type HostName } from './host';

type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: NamedAttrMap };

const shapes = (ts: (TensorInfo | undefined)[]) => ts.map((t) => `[${t?.shape}]`).join(', ');

/** The shared [B, H, W] of float32 NHWC inputs; throws naming the kernel and the shapes. */
function rowsOf(kernel: string, xs: (TensorInfo | undefined)[]): number[] {
  const first = xs[0];
  for (const [i, t] of xs.entries()) {
    if (
      !t ||
      t.dtype !== 'float32' ||
      t.shape.length !== 4 ||
      t.shape[0] !== first?.shape[0] ||
      t.shape[1] !== first.shape[1] ||
      t.shape[2] !== first.shape[2]
    ) {
      throw new Error(
        `@evdm/backend-native: ${kernel} needs float32 NHWC inputs sharing [B, H, W]; input ${i} is ${t ? `${t.dtype} [${t.shape}]` : 'missing'} (inputs ${shapes(xs)})`,
      );
    }
  }
  return first!.shape.slice(0, 3);
}

/** The optional second perm as the addon takes it (null: none); an addon built before it would ignore it. */
function secondPerm(p: number[] | undefined): Int32Array | null {
  if (!p || p.length === 0) return null;
  if (!nativeAddon().channelGatherAddPerm)
    throw new Error(
      '@evdm/backend-native: EvdmChannelGather: this native build predates addPerm; rebuild it (node scripts/build-native.mjs)',
    );
  return Int32Array.from(p);
}

export function channelGatherForward(host: HostName) {
  return (args: Args): TensorInfo => {
    const a = args.attrs as unknown as ChannelGatherAttrs;
    const xs = Array.from({ length: a.count }, (_, i) => args.inputs[`x${i}`]);
    const bhw = rowsOf('EvdmChannelGather', xs);
    const outShape = [...bhw, a.perm.length];
    const addend = args.inputs.addend;
    if (addend && (addend.dtype !== 'float32' || !util.arraysEqual(addend.shape, outShape))) {
      throw new Error(
        `@evdm/backend-native: EvdmChannelGather: addend must be float32 [${outShape}], got ${addend.dtype} [${addend.shape}]`,
      );
    }
    const h = hostFor(host, args.backend);
    const out = h.alloc(outShape);
    const rows = util.sizeFromShape(bhw);
    if (rows === 0) return out;
    const list = xs as TensorInfo[];
    nativeAddon().channelGather(
      list.map((x) => h.view(x)),
      list.map((x) => x.shape[3]),
      Int32Array.from(a.perm),
      rows,
      addend ? h.view(addend) : null,
      h.view(out),
      a.scale,
      secondPerm(a.addPerm),
    );
    return out;
  };
}

export function channelGatherBackward(host: HostName) {
  return (args: Args): TensorInfo[] => {
    const a = args.attrs as unknown as ChannelGatherGradAttrs;
    const dy = args.inputs.dy;
    const bhw = rowsOf('EvdmChannelGatherGrad', [dy]);
    if (dy!.shape[3] !== a.perm.length)
      throw new Error(
        `@evdm/backend-native: EvdmChannelGatherGrad: dy [${dy!.shape}] must have ${a.perm.length} channels (perm length)`,
      );
    const h = hostFor(host, args.backend);
    // every element of every gradient is written (0 for unread channels): no zero-filled allocation
    const dxs = a.channels.map((c) => h.alloc([...bhw, c]));
    const dadd = a.addend ? h.alloc([...dy!.shape]) : null;
    const rows = util.sizeFromShape(bhw);
    if (rows > 0) {
      nativeAddon().channelScatter(
        h.view(dy!),
        a.channels,
        Int32Array.from(a.perm),
        rows,
        dxs.map((t) => h.view(t)),
        dadd ? h.view(dadd) : null,
        a.scale,
        secondPerm(a.addPerm),
      );
    }
    return dadd ? [...dxs, dadd] : dxs;
  };
}
