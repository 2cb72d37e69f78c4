/**
 * evdm: the library. Networks and presets, training, checkpoint I/O, sampling, evaluation and FLOP
 * profiling, each a typed function or class. The CLI's helpers, formatters and smoke fixtures are
 * not part of this surface (they live under `evdm/internal`, without semver promises).
 */

// ---- Pipelines: train, sample, evaluate a checkpoint (typed options; the CLI parses argv into them) ----
export { train } from './train/train';
export type { TrainOptions, TrainResult } from './train/train';
export { sample } from './sample/sample';
export type { SampleOptions, SampleResult } from './sample/sample';
export type { SampleMode } from './sample/pipeline-checks';
export { evaluateCheckpoint, checkpointEvalModel } from './eval/evaluate-checkpoint';
export type { EvaluateCheckpointOptions, CheckpointEvaluation, EvalReport } from './eval/evaluate-checkpoint';
export type { OptionNames } from './runtime/option-names';
export type { BackendChoice } from '@evdm/backend';

// ---- Networks: the denoising U-Net, its config (resolve / toJSON / fromJSON) and block registry ----
export { DenoisingUNet } from './models/unet';
export type { UNetModule, UNetContext, ModuleGroup } from './models/unet';
export { registerResidualBlock, residualBlockArchs } from './models/residual-blocks';
export type { ResidualBlockFactory, ResidualBlockSite } from './models/residual-blocks';
export { inputChannels, outputChannels, condChannels, DEFAULT_BRP } from './models/network-config';
export type {
  NetworkConfig,
  NetworkConfigInput,
  BrpOptions,
  AttentionOptions,
  AttentionMode,
  Arch,
} from './models/network-config';
export { timestepEmbedding } from './models/timestep-embedding';

// ---- Presets of the paper (datasets, MCVD / EVDM / EVDM-L, Table 8 ablations) ----
export { DATASET_PRESETS, TABLE8_VARIANTS, modelConfig } from './models/presets';
export type { DatasetName, ModelName, DatasetPreset } from './models/presets';

// ---- Runtime: backend choice ----
export { initBackend, currentRuntime } from './runtime/backend';
export type { RuntimeInfo } from './runtime/backend';
export { VERSION } from './version';

// ---- Training: Trainer, its configs, optimiser, data sources ----
export { Trainer, TrainingDivergedError } from './train/trainer';
export type { TrainerOptions, StepResult, RunHooks } from './train/trainer';
export { TrainConfig, DEFAULT_TRAIN_CONFIG } from './train/train-config';
export { RunConfig, readRunConfig, makeClipSource } from './train/run-config';
export type { DataConfig } from './train/run-config';
export { Adam, DEFAULT_ADAM } from './train/adam';
export type { AdamConfig } from './train/adam';
export { clipSourceFromIterable } from './data/source';
export type { Clip, ClipSource } from './data/source';
export { SyntheticClipSource } from './data/synthetic';
export type { SyntheticClipOptions } from './data/synthetic';

// ---- Run safety: stop signals, run directories, atomic writes, memory estimates ----
export { onStopSignals, SIGNAL_EXIT_CODE, type StopSignal } from './train/signals';
export { checkNewRunDir, runEvidence } from './train/run-dir';
export { writeFileAtomic, WriteError } from './io/atomic-write';
export { checkMemory, memoryLimit, sampleBytes, trainStepBytes } from './runtime/memory-budget';

// ---- Checkpoint I/O ----
export { writeCheckpoint, latestCheckpoint, cleanCheckpointLeftovers, CheckpointWriteError } from './train/checkpoint';
export { readCheckpoint, findCheckpoint, CheckpointError } from './train/checkpoint-read';
export type { CheckpointMeta, CheckpointGroups } from './train/checkpoint';
export type { LoadedCheckpoint } from './train/checkpoint-read';
export { loadCheckpointModel, resolveCheckpointDir, runConfigOfCheckpoint } from './sample/load';
export type { LoadedModel } from './sample/load';

// ---- Sampling: video prediction / generation / interpolation, and writing the frames ----
export { sampleVideo, DEFAULT_SAMPLER } from './sample/predict';
export type { SamplerConfig, FrameLayout, VideoSampleOptions } from './sample/predict';
export { networkDenoiser } from './sample/network-denoiser';
export { toUint8Frames, tileFrames } from './sample/frames';
export { writePng, writeComparisonGrid, writeComparisonGif } from './sample/write';
export type { ComparisonInput } from './sample/write';
export { writeGif } from './io/gif';
export { writeLossPlotSvg } from './io/loss-plot';

// ---- Evaluation: PSNR / SSIM / FVD on test clips, and the paper's evaluation tables ----
export { evaluate } from './eval/evaluate';
export type { EvalMode, EvalModel, EvaluateOptions, EvaluationResult, FvdSetup } from './eval/evaluate';
export { openTestClips } from './eval/test-clips';
export type { TestClips, TestBatch, TestClipLayout } from './eval/test-clips';
export { scorePrediction, copyLastFrame, perSampleMetrics } from './sample/score';
export { reproduceEvalTable, reproduceTimingTable, paperProtocols, EVAL_TABLES } from './eval/reproduce-eval';
export type {
  EvalTable,
  EvalProtocol,
  EvalReproductionRow,
  TimingReproductionRow,
  ReproduceEvalOptions,
} from './eval/reproduce-eval';
export { runBudgetStudy } from './eval/budget/study';
export type { BudgetStudyOptions, BudgetScaleName } from './eval/budget/config';
export type { BudgetStudyResult, BudgetModelResult, BudgetPoint } from './eval/budget/results';

// ---- Cost: parameters, FLOPs and timings per U-Net level (the paper's Tables 1, 2, 8) ----
export { profileNetwork } from './profile/profiler';
export type { NetworkProfile, LevelProfile } from './profile/profiler';
export { measureTrainingPass } from './profile/training-pass';
export type { TrainingPassResult } from './profile/training-pass';
export { measureExecutedFlops } from './profile/executed-flops';
export type { ExecutedFlops } from './profile/executed-flops';
export { reproduceTable, reproduceTable1, reproduceTable2, reproduceTable8 } from './profile/reproduce';
export type { ReproductionRow, ReproduceOptions } from './profile/reproduce';
export {
  TABLE1,
  TABLE2,
  TABLE3,
  TABLE4,
  TABLE5,
  TABLE6,
  TABLE7,
  TABLE8,
  TABLE9,
  MCVD_TRAIN_STEPS,
} from './profile/paper-numbers';

// ---- Interop: MCVD PyTorch checkpoints and configs, safetensors and TF.js weights ----
export { readTorchCheckpoint, parseTorchCheckpoint } from './interop/torch-checkpoint';
export type { TorchCheckpoint, HostTensor } from './interop/torch-checkpoint';
export type { TorchTensorRef, TorchDtype } from './interop/torch-pickle';
export { parseMcvdYaml, translateMcvdConfig } from './interop/mcvd-config';
export type { McvdImportConfig, McvdSampling } from './interop/mcvd-config';
export { mcvdKeyMap } from './interop/mcvd-keys';
export type { KeyMapping } from './interop/mcvd-keys';
export { importMcvd, mapMcvdWeights } from './interop/import-mcvd';
export type { ImportedWeights, TensorSource, WeightChoice } from './interop/import-mcvd';
export { parseSafetensors, readSafetensors, encodeSafetensors } from './interop/safetensors';
export type { SafetensorsFile } from './interop/safetensors';
export { checkpointWeights, exportModel, asMcvdStateDict, readTfjsExport, readSafetensorsExport } from './interop/export-weights';
export type { ExportedModel, ExportFormat } from './interop/export-weights';
export { runImportMcvd, runImportSafetensors, runImportTfjs } from './interop/run-import';
export type { ImportSummary } from './interop/run-import';
