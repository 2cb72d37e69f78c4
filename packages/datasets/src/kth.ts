// KTH in MCVD's layout (datasets/kth.py): one shard directory, 64x64 grayscale frames, groups
// `person/<i>` and `target/<i>`. Split by person: 1-20 train, 21-25 test; the test set has 256
// clips, clip k reading test video round(k/255 * (N_test - 1)).
import { DatasetError } from './errors';
import { checkIndex, clipRng } from './clip-rng';
import type { Clip, ClipOptions, Split, VideoDataset } from './types';
import { VideoStore } from './video-store';
import { evenlySpacedIndex, readWindow } from './window';

/** Options for {@link openKth}. */
export interface KthOptions {
  /** `KTH64_h5` directory (or one shard file). */
  path: string;
  /** Persons of the training split (default 1-20); all others are test (MCVD: 21-25). */
  trainPersons?: number[];
  /** Number of test clips (MCVD: 256). */
  testClips?: number;
}

const SIZE = 64;

export async function openKth(options: KthOptions): Promise<VideoDataset> {
  const store = await VideoStore.open(options.path);
  const trainPersons = new Set(options.trainPersons ?? Array.from({ length: 20 }, (_, i) => i + 1));
  const train: number[] = [];
  const test: number[] = [];
  for (let v = 0; v < store.count; v++) (trainPersons.has(store.label('person', v)) ? train : test).push(v);
  const testClips = options.testClips ?? 256;
  const videos = (split: Split) => (split === 'train' ? train : test);
  const geom = { storedHeight: SIZE, storedWidth: SIZE, channels: 1, width: SIZE };
  const length = (split: Split): number => (split === 'train' ? train.length : test.length === 0 ? 0 : testClips);
  return {
    name: 'kth',
    channels: 1,
    height: SIZE,
    width: SIZE,
    length,
    async clip(index: number, split: Split, opts?: ClipOptions): Promise<Clip> {
      const len = length(split);
      if (len === 0) throw new DatasetError(options.path, `KTH ${split} split is empty (no videos of its persons)`);
      checkIndex('kth', index, split, len);
      const list = videos(split);
      const video = split === 'train' ? list[index] : list[evenlySpacedIndex(index, testClips, list.length)];
      const rng = clipRng(opts, index, split);
      return readWindow(store, video, opts?.frames, geom, rng, () => 0, split === 'train' && opts?.flip === true);
    },
    close: () => store.close(),
  };
}
