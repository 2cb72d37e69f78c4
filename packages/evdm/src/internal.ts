/**
 * `evdm/internal`: what the CLI, the smoke runs and the bench scripts share that is not library
 * API (argv helpers, formatters, progress output, smoke fixtures). No semver promise: names here
 * may change in any release.
 */
export { runEval, formatEvalRows } from './commands/eval';
export type { EvalFlags } from './commands/eval';
export { MAIN_JOB } from './commands/main';
export { timeTrainingSteps, timeSamplingSteps, parseBenchModel } from './bench/training-step';
export type { StepTiming, StepTimingOptions } from './bench/training-step';
export { formatRows } from './profile/reproduce';
export { smokeProtocol, formatEvalReproduction, formatTimingReproduction, writeSmokeDataset } from './eval/reproduce-eval';
export { TrainMonitor, formatSeconds } from './train/monitor';
export type { TrainMonitorOptions } from './train/monitor';
export { samplingProgress } from './sample/progress';
export type { SamplingProgress } from './sample/progress';
export { writePreviewGrid } from './sample/preview';
export { SYNTHETIC_TEST_SEED } from './eval/test-clips';
export { networkFromJson } from './train/run-config';
export { asStateDict, isTensorRef } from './interop/torch-checkpoint';
export { unpickle, PyTuple } from './interop/torch-pickle';
export { torchShape, toEvdmLayout, toTorchLayout } from './interop/mcvd-keys';
export { stateDictSource } from './interop/import-mcvd';
