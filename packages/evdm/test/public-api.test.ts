// The evdm package's runtime surface is deliberate: a name enters or leaves `src/index.ts` on purpose
// (each is a semver promise). CLI helpers, formatters and smoke fixtures live in `src/internal.ts`.
import { describe, expect, it } from 'vitest';

const LIBRARY = [
  'Adam', 'DATASET_PRESETS', 'DEFAULT_ADAM', 'DEFAULT_BRP', 'DEFAULT_SAMPLER', 'DEFAULT_TRAIN_CONFIG', 'DenoisingUNet',
  'EVAL_TABLES', 'MCVD_TRAIN_STEPS', 'RunConfig', 'SyntheticClipSource', 'TABLE1', 'TABLE2', 'TABLE3', 'TABLE4', 'TABLE5',
  'TABLE6', 'TABLE7', 'TABLE8', 'TABLE8_VARIANTS', 'TABLE9', 'TrainConfig', 'Trainer', 'TrainingDivergedError', 'VERSION',
  'checkpointEvalModel', 'clipSourceFromIterable', 'condChannels', 'copyLastFrame', 'currentRuntime', 'evaluate',
  'initBackend', 'inputChannels', 'latestCheckpoint', 'loadCheckpointModel', 'makeClipSource', 'measureExecutedFlops',
  'measureTrainingPass', 'modelConfig', 'networkDenoiser', 'openTestClips', 'outputChannels', 'paperProtocols',
  'perSampleMetrics', 'profileNetwork', 'readCheckpoint', 'readRunConfig', 'registerResidualBlock', 'reproduceEvalTable', 'runBudgetStudy',
  'reproduceTable', 'reproduceTable1', 'reproduceTable2', 'reproduceTable8', 'reproduceTimingTable', 'residualBlockArchs',
  'resolveCheckpointDir', 'runConfigOfCheckpoint', 'sampleVideo', 'scorePrediction', 'tileFrames', 'timestepEmbedding',
  'toUint8Frames', 'writeCheckpoint', 'writeComparisonGif', 'writeComparisonGrid', 'writeGif', 'writeLossPlotSvg', 'writePng',
  // checkpoint safety (issue 20)
  'CheckpointError', 'CheckpointWriteError', 'cleanCheckpointLeftovers', 'findCheckpoint', 'onStopSignals', 'SIGNAL_EXIT_CODE',
  'checkNewRunDir', 'runEvidence', 'writeFileAtomic', 'WriteError', 'checkMemory', 'memoryLimit', 'sampleBytes', 'trainStepBytes',
  // interop (issue 18)
  'asMcvdStateDict', 'checkpointWeights', 'encodeSafetensors', 'exportModel', 'importMcvd', 'mapMcvdWeights', 'mcvdKeyMap',
  'parseMcvdYaml', 'parseSafetensors', 'parseTorchCheckpoint', 'readSafetensors', 'readSafetensorsExport', 'readTfjsExport',
  'readTorchCheckpoint', 'runImportMcvd', 'runImportSafetensors', 'runImportTfjs', 'translateMcvdConfig',
  // typed pipelines (issue 21): the CLI parses argv into their options
  'train', 'sample', 'evaluateCheckpoint',
];

const INTERNAL = [
  'MAIN_JOB', 'SYNTHETIC_TEST_SEED', 'TrainMonitor', 'formatEvalReproduction', 'formatEvalRows', 'formatRows',
  'formatSeconds', 'formatTimingReproduction', 'networkFromJson', 'parseBenchModel', 'runEval', 'samplingProgress',
  'smokeProtocol', 'timeTrainingSteps', 'writePreviewGrid', 'writeSmokeDataset',
  'timeSamplingSteps', 'PyTuple', 'asStateDict', 'isTensorRef', 'stateDictSource', 'toEvdmLayout', 'toTorchLayout', 'torchShape',
  'unpickle',
];

describe('evdm public surface', () => {
  it('index exports exactly the library values; internal.ts the rest, with no overlap', async () => {
    const lib = Object.keys(await import('../src/index')).sort();
    const internal = Object.keys(await import('../src/internal')).sort();
    expect(lib).toEqual([...LIBRARY].sort());
    expect(internal).toEqual([...INTERNAL].sort());
    expect(lib.filter((n) => internal.includes(n))).toEqual([]);
  });
});
