// Single entry point for `evdm convert <dataset>`.
import { convertBair, type ConvertBairOptions } from './convert-bair';
import { convertKth, convertUcf101, type ConvertKthOptions, type ConvertUcf101Options } from './convert-video';
import { DatasetError } from './errors';

/** Options per dataset for {@link convert}. */
export type ConvertOptions =
  | ({ dataset: 'kth' } & ConvertKthOptions)
  | ({ dataset: 'bair' } & ConvertBairOptions)
  | ({ dataset: 'ucf101' } & ConvertUcf101Options);

/** Converts raw downloads into MCVD's HDF5 layout (SM-MNIST needs no conversion). */
export async function convert(options: ConvertOptions): Promise<unknown> {
  switch (options?.dataset) {
    case 'kth':
      return convertKth(options);
    case 'bair':
      return convertBair(options);
    case 'ucf101':
      return convertUcf101(options);
    default:
      throw new DatasetError(
        'convert dataset',
        `unknown dataset ${JSON.stringify((options as { dataset?: unknown })?.dataset)}; expected kth, bair or ucf101`,
      );
  }
}
