#!/usr/bin/env node
// evdm-convert kth <avi-dir> <out-dir>
// evdm-convert bair <softmotion30_44k-dir> <out-dir>
// evdm-convert ucf101 <UCF-101-dir> <ucfTrainTestlist-dir> <out-file> [split 1|2|3]
import { convert } from '@evdm/datasets';

const [dataset, a, b, c, d] = process.argv.slice(2);
const usage =
  'usage: evdm-convert kth <avi-dir> <out-dir> | bair <tfrecords-dir> <out-dir> | ucf101 <video-dir> <split-lists-dir> <out-file> [1|2|3]';
try {
  let r;
  if (dataset === 'kth' && a && b) r = await convert({ dataset, input: a, output: b });
  else if (dataset === 'bair' && a && b) r = await convert({ dataset, input: a, output: b });
  else if (dataset === 'ucf101' && a && b && c)
    r = await convert({ dataset, input: a, splits: b, output: c, splitIndex: d ? Number(d) : 3 });
  else {
    console.error(usage);
    process.exit(2);
  }
  console.log(JSON.stringify(r));
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
}
