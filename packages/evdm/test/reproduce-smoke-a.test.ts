// evdm reproduce table3/4/5/6 --smoke through the built CLI: the whole path at tiny scale, no external data.
import { describe, it } from 'vitest';
import { checkEvalRows, smoke } from './reproduce-smoke.helpers';

const three = (d: string): Array<[string, string]> => [
  [d, 'mcvd'],
  [d, 'evdm-l'],
  [d, 'evdm'],
];

describe('evdm reproduce --smoke (tables 3, 4, 5, 6)', () => {
  it('table3: BAIR prediction rows for MCVD, EVDM-L, EVDM with FVD, PSNR, SSIM', () => {
    checkEvalRows('table3', smoke('table3').rows, three('bair'), { fvd: true, psnr: true });
  });
  it('table4: KTH roll-out rows incl. EVDM with the longer sampler (the 1000-step row)', () => {
    checkEvalRows(
      'table4',
      smoke('table4').rows,
      [
        ['kth', 'mcvd', 2],
        ['kth', 'evdm-l', 2],
        ['kth', 'evdm', 2],
        ['kth', 'evdm', 4],
      ],
      { fvd: true, psnr: true },
    );
  });
  it('table5: UCF-101 unconditional generation, FVD only', () => {
    checkEvalRows('table5', smoke('table5').rows, three('ucf101'), { fvd: true, psnr: false });
  });
  it('table6: BAIR unconditional generation, FVD only', () => {
    checkEvalRows('table6', smoke('table6').rows, three('bair'), { fvd: true, psnr: false });
  });
});
