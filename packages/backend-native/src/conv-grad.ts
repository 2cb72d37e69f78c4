// EvdmConv2DGrad (contract CONV2D_GRAD in @evdm/core, used by its conv2dSame): a convolution's whole
// backward pass in one kernel call, {x, filter, dy} -> [dx, dFilter(, dBias)]. On oneDNN the bias
// gradient is reduced inside the weight-gradient pass; where oneDNN declines, the Conv2DBackpropFilter
// kernel given (stock fallback) and a native column sum of dy compute the same values.
import { backend_util, util, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { Conv2DGradAttrs } from '@evdm/core';
import { nativeAddon } from './addon';
import { convParams, withOutput } from './conv-util';
import { biasGradient, gradInputs } from './grad-inputs';
import { hostFor, type HostName } from './host';

type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: NamedAttrMap };
type Func = (args: Args) => TensorInfo | TensorInfo[];

const KERNEL = 'EvdmConv2DGrad';

function check(inputs: Record<string, TensorInfo | undefined>, a: Conv2DGradAttrs) {
  const { tensors, fail } = gradInputs(KERNEL, inputs, ['x', 'filter', 'dy'], 4, `; strides [${a.strides}], pad ${a.pad}`);
  const [x, filter, dy] = tensors;
  if (x.shape[3] !== filter.shape[2]) fail(`filter input channels (${filter.shape[2]}) must equal x's channels (${x.shape[3]})`);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    a.strides,
    1,
    a.pad,
    undefined,
    false,
    'channelsLast',
  );
  if (!util.arraysEqual(dy.shape, info.outShape)) fail(`dy must have the output shape [${info.outShape}]`);
  if (util.sizeFromShape(x.shape) === 0 || util.sizeFromShape(filter.shape) === 0) fail('empty tensor');
  return { x, filter, dy, info };
}

export function conv2dGradKernel(host: HostName, backpropInput: Func, backpropFilter: Func): Func {
  return ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as Conv2DGradAttrs;
    const { x, filter, dy, info } = check(inputs, a);
    const common = { strides: a.strides, pad: a.pad, dataFormat: 'NHWC', dilations: 1 };
    const dx = backpropInput({
      inputs: { dy, filter },
      backend,
      attrs: { ...common, inputShape: [...x.shape] } as unknown as NamedAttrMap,
    }) as TensorInfo;
    const h = hostFor(host, backend);
    const cout = filter.shape[3];
    // check() has made every input float32 and non-empty, so oneDNN may run it
    const db = a.bias ? h.alloc([cout]) : null;
    const dwNative = withOutput(h, backend, [...filter.shape], (o) =>
      nativeAddon().conv(2, h.view(x), h.view(dy), db ? h.view(db) : null, h.view(o), convParams(info, 0)),
    );
    if (dwNative) return db ? [dx, dwNative, db] : [dx, dwNative];
    if (db) (backend as { disposeData(id: object): void }).disposeData(db.dataId);
    const dw = backpropFilter({
      inputs: { x, dy },
      backend,
      attrs: { ...common, filterShape: [...filter.shape] } as unknown as NamedAttrMap,
    }) as TensorInfo;
    return a.bias ? [dx, dw, biasGradient(h, dy, cout)] : [dx, dw];
  };
}
