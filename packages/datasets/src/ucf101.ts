// UCF-101 in MCVD's layout (datasets/ucf101.py): one file with `num_train`, `num_test`, `len/<i>`,
// `target/<i>` and 64x85x3 frames, train videos first. Training crops a random 64-wide window
// (offset in [0, 20]); testing uses offset 10. The test set is every 10th test video
// (num_test // 10 of them) reached through 256 evenly spaced clip indices.
import { DatasetError } from './errors';
import { checkIndex, clipRng } from './clip-rng';
import type { Clip, ClipOptions, Split, VideoDataset } from './types';
import { VideoStore } from './video-store';
import { evenlySpacedIndex, readWindow } from './window';

/** Options for {@link openUcf101}. */
export interface Ucf101Options {
  /** `UCF101_64.hdf5` (or a directory holding it). */
  path: string;
  /** Number of test clips (MCVD: 256). */
  testClips?: number;
}

/** Stored UCF frame size (LANCZOS resize of 240x320 to height 64). */
export const UCF_STORED_HEIGHT = 64;
export const UCF_STORED_WIDTH = 85;
const SIZE = 64;
const TEST_CROP = 10;

export async function openUcf101(options: Ucf101Options): Promise<VideoDataset> {
  const store = await VideoStore.open(options.path);
  let numTrain: number;
  let numTest: number;
  try {
    numTrain = store.rootScalar('num_train');
    numTest = store.rootScalar('num_test');
    if (numTrain + numTest !== store.count) {
      throw new DatasetError(
        options.path,
        `num_train (${numTrain}) + num_test (${numTest}) != number of videos in "len" (${store.count})`,
      );
    }
  } catch (e) {
    store.close();
    throw e;
  }
  const testVideos = Math.floor(numTest / 10);
  const testClips = options.testClips ?? 256;
  const geom = { storedHeight: UCF_STORED_HEIGHT, storedWidth: UCF_STORED_WIDTH, channels: 3, width: SIZE };
  const maxCrop = UCF_STORED_WIDTH - SIZE - 1; // MCVD: randint(0, 85 - 64) -> [0, 20]
  const length = (split: Split): number => (split === 'train' ? numTrain : testVideos === 0 ? 0 : testClips);
  return {
    name: 'ucf101',
    channels: 3,
    height: SIZE,
    width: SIZE,
    length,
    async clip(index: number, split: Split, opts?: ClipOptions): Promise<Clip> {
      const len = length(split);
      if (len === 0) throw new DatasetError(options.path, `UCF-101 ${split} split is empty (num_test // 10 = 0)`);
      checkIndex('ucf101', index, split, len);
      const video = split === 'train' ? index : numTrain + 10 * evenlySpacedIndex(index, testClips, testVideos);
      const rng = clipRng(opts, index, split);
      const crop = split === 'train' ? (r: typeof rng) => r.int(0, maxCrop) : () => TEST_CROP;
      return readWindow(store, video, opts?.frames, geom, rng, crop, split === 'train' && opts?.flip === true);
    },
    close: () => store.close(),
  };
}
