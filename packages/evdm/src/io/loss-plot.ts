import { writeFileAtomic } from './atomic-write';

/** Writes a loss curve as a self-contained SVG (log-scale y when the range spans > 1 decade). */
export function writeLossPlotSvg(path: string, points: Array<{ step: number; loss: number }>, title = 'training loss'): void {
  const pts = points.filter((p) => Number.isFinite(p.loss) && p.loss > 0);
  const W = 640;
  const H = 360;
  const m = { l: 64, r: 16, t: 32, b: 40 };
  if (pts.length === 0) {
    writeFileAtomic(
      path,
      `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><text x="20" y="40">${title}: no finite loss yet</text></svg>`,
    );
    return;
  }
  const xs = pts.map((p) => p.step);
  const ys = pts.map((p) => p.loss);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs, x0 + 1);
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  const log = y1 / y0 > 10;
  const fy = (v: number) => (log ? Math.log10(v) : v);
  if (y0 === y1) {
    y0 *= 0.9;
    y1 *= 1.1;
  }
  const px = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - ((fy(y) - fy(y0)) / (fy(y1) - fy(y0))) * (H - m.t - m.b);
  const path_ = pts.map((p, i) => `${i ? 'L' : 'M'}${px(p.step).toFixed(1)},${py(p.loss).toFixed(1)}`).join('');
  const ticks = [y0, Math.sqrt(y0 * y1), y1].map(
    (v) => `<text x="${m.l - 6}" y="${py(v).toFixed(1)}" font-size="11" text-anchor="end">${v.toPrecision(3)}</text>`,
  );
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${title}${log ? ' (log scale)' : ''}</text>
<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#444"/>
<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#444"/>
${ticks.join('\n')}
<text x="${m.l}" y="${H - 12}" font-size="11">step ${x0}</text>
<text x="${W - m.r}" y="${H - 12}" font-size="11" text-anchor="end">step ${x1}</text>
<path d="${path_}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>
</svg>`;
  writeFileAtomic(path, svg);
}
