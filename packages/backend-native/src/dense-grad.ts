// EvdmDenseGrad (contract DENSE_GRAD in @evdm/core, used by its `linear`): a dense layer's whole
// backward pass in one kernel call, {x [M, K], kernel [K, N], dy [M, N]} -> [dx, dKernel, dBias]:
// dx = dy·Wᵀ and dW = xᵀ·dy as oneDNN matmuls reading the operands transposed in place (through the
// BatchMatMul kernel given, which falls back to the stock one where oneDNN declines), and the bias
// gradient as one native column sum of dy.
import { util, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { biasGradient, gradInputs } from './grad-inputs';
import { hostFor, type HostName } from './host';

type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: NamedAttrMap };
type Func = (args: Args) => TensorInfo | TensorInfo[];

const KERNEL = 'EvdmDenseGrad';

function check(inputs: Record<string, TensorInfo | undefined>) {
  const { tensors, fail } = gradInputs(KERNEL, inputs, ['x', 'kernel', 'dy'], 2);
  const [x, kernel, dy] = tensors;
  const [m, k] = x.shape;
  if (kernel.shape[0] !== k) fail(`kernel rows (${kernel.shape[0]}) must equal x's columns (${k})`);
  if (!util.arraysEqual(dy.shape, [m, kernel.shape[1]])) fail(`dy must have the output shape [${m},${kernel.shape[1]}]`);
  if (m * k * kernel.shape[1] === 0) fail('empty tensor');
  return { x, kernel, dy, n: kernel.shape[1] };
}

export function denseGradKernel(host: HostName, matMul: Func): Func {
  return ({ inputs, backend }) => {
    const { x, kernel, dy, n } = check(inputs);
    const mm = (a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean) =>
      matMul({ inputs: { a, b }, backend, attrs: { transposeA, transposeB, activation: 'linear' } }) as TensorInfo;
    const dx = mm(dy, kernel, false, true);
    const dw = mm(x, dy, true, false);
    return [dx, dw, biasGradient(hostFor(host, backend), dy, n)];
  };
}
