// @evdm/backend: run-time TF.js backend selection and the wasm training kernels.
export {
  selectBackend,
  parseBackendChoice,
  BACKEND_CHOICES,
  type BackendChoice,
  type BackendSelection,
  type SelectBackendOptions,
} from './select-backend';
export { ensureGradients, gradientsRegistered } from './gradients';
export { registerBroadcastGradients } from './broadcast-gradients';
export { describeBackend } from './describe-backend';
export { registerWasmTrainingKernels, unregisterWasmTrainingKernels, wasmTrainingKernelsActive } from './wasm-kernels/register';
