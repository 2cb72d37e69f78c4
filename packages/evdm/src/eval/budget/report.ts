/**
 * The study's human-readable outputs: a Markdown table (`budget.md`) and four SVG line charts
 * (PSNR and SSIM against training minutes and against steps; one line per model, copy-last dashed).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic-write';
import type { BudgetStudyResult, JsonNumber } from './results';

const COLORS: Record<string, string> = { mcvd: '#d62728', evdm: '#1f77b4', 'evdm-l': '#2ca02c' };
const num = (v: JsonNumber) => (typeof v === 'number' ? v : null);
const f = (v: JsonNumber, d: number) => (typeof v === 'number' ? v.toFixed(d) : v === null ? '-' : v);
const pm = (v: JsonNumber, ci: JsonNumber, d: number) =>
  typeof v === 'number' && typeof ci === 'number' && Number.isFinite(ci) ? `${v.toFixed(d)} ± ${ci.toFixed(d)}` : f(v, d);

/** The Markdown report: setting, structure beside Table 2, every evaluation point, final rows. */
export function budgetMarkdown(r: BudgetStudyResult): string {
  const p = r.protocol;
  const c = r.copy_last_frame;
  const L: string[] = [];
  L.push(`# Fidelity per compute: ${r.models.map((m) => m.label).join(' vs ')} on the same wall-clock budget`);
  L.push('');
  L.push(`- scale: **${r.scale}**: ${r.scale_note}`);
  L.push(
    `- budget: ${r.minutes} min of training per model (evaluation not counted), evaluated every ${r.eval_every} min; seed ${r.seed}; backend ${r.backend}`,
  );
  L.push(
    `- test set: ${p.clips} fixed SM-MNIST test clips, best of ${p.trajectories} trajectories, DDPM ${p.steps} steps, ${p.weights} weights, SSIM ${p.ssim_convention}`,
  );
  L.push(
    `- started ${r.started}, updated ${r.updated || new Date().toISOString()}${r.stopped ? ' — **stopped early: resume with --resume**' : ''}`,
  );
  L.push('');
  L.push(
    '| model | params (M) | GFLOPs/sample | GFLOPs ratio to MCVD | paper Table 2 ratio | steps reached | train min | steps/s |',
  );
  L.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const m of r.models) {
    const rate = m.train_minutes > 0 ? (m.steps / (m.train_minutes * 60)).toFixed(2) : '-';
    L.push(
      `| ${m.label} | ${(m.params / 1e6).toFixed(3)} | ${m.gflops.toFixed(4)} | ${m.gflops_ratio.toFixed(3)} | ${m.paper_gflops_ratio.toFixed(3)} | ${m.steps} | ${m.train_minutes.toFixed(2)} | ${rate} |`,
    );
  }
  L.push('');
  L.push('| model | step | train min | loss | PSNR | SSIM | FVD |');
  L.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const m of r.models) {
    for (const q of m.points) {
      const fvd = q.fvd === null ? (q.fvd_note.startsWith('absent') ? 'absent' : 'failed') : f(q.fvd, 1);
      L.push(
        `| ${m.label}${q.final ? ' (end)' : ''} | ${q.step} | ${q.train_minutes.toFixed(2)} | ${q.loss === null ? '-' : q.loss.toPrecision(4)} | ${pm(q.psnr, q.psnr_ci95, 2)} | ${pm(q.ssim, q.ssim_ci95, 4)} | ${fvd} |`,
      );
    }
  }
  if (c) L.push(`| copy last frame | | | | ${pm(c.psnr, c.psnr_ci95, 2)} | ${pm(c.ssim, c.ssim_ci95, 4)} | |`);
  L.push('');
  const ends = r.models.map((m) => ({ m, end: m.points.find((q) => q.final) ?? null }));
  if (ends.every((e) => e.end) && ends.length > 1) {
    const best = (k: 'psnr' | 'ssim') =>
      ends.reduce((a, b) => ((num(b.end![k]) ?? -Infinity) > (num(a.end![k]) ?? -Infinity) ? b : a)).m.label;
    L.push(`At the end of the budget the best PSNR is ${best('psnr')}'s and the best SSIM ${best('ssim')}'s.`);
    L.push('');
  }
  L.push(
    'PSNR/SSIM: mean ± 95% CI over the test clips of the best of N samples per clip. FVD: only with --i3d DIR (converted I3D weights), otherwise absent.',
  );
  L.push('One seed: the spread between seeds is not measured by one run (run again with --seed).');
  L.push('');
  L.push(
    'Plots: psnr-vs-minutes.svg, ssim-vs-minutes.svg, psnr-vs-steps.svg, ssim-vs-steps.svg. End-of-budget predictions: predictions/<model>/sample.gif and grid.png.',
  );
  return L.join('\n') + '\n';
}

export interface ChartSeries {
  name: string;
  color: string;
  points: Array<{ x: number; y: number }>;
  dashed?: boolean;
}

/** A self-contained SVG line chart with axes, 5 ticks per axis and a legend. */
export function lineChartSvg(title: string, xLabel: string, yLabel: string, series: ChartSeries[]): string {
  const W = 720;
  const H = 420;
  const m = { l: 70, r: 160, t: 36, b: 50 };
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  if (all.length === 0)
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><text x="20" y="40">${esc(title)}: no points yet</text></svg>\n`;
  const x0 = Math.min(0, ...all.map((p) => p.x));
  let x1 = Math.max(...all.map((p) => p.x));
  let [y0, y1] = [Math.min(...all.map((p) => p.y)), Math.max(...all.map((p) => p.y))];
  if (x1 === x0) x1 = x0 + 1;
  const pad = (y1 - y0) * 0.08 || Math.abs(y0) * 0.05 || 1;
  [y0, y1] = [y0 - pad, y1 + pad];
  const px = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const ticks = (a: number, b: number) => Array.from({ length: 5 }, (_, i) => a + ((b - a) * i) / 4);
  const lab = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3));
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`);
  parts.push('<rect width="100%" height="100%" fill="white"/>');
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`);
  parts.push(
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#444"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#444"/>`,
  );
  for (const v of ticks(x0, x1))
    parts.push(`<text x="${px(v).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle">${lab(v)}</text>`);
  for (const v of ticks(y0, y1))
    parts.push(
      `<line x1="${m.l}" y1="${py(v).toFixed(1)}" x2="${W - m.r}" y2="${py(v).toFixed(1)}" stroke="#eee"/><text x="${m.l - 6}" y="${(py(v) + 4).toFixed(1)}" text-anchor="end">${lab(v)}</text>`,
    );
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(`<text transform="translate(18 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    if (pts.length > 0) {
      parts.push(
        `<path class="series" data-name="${esc(s.name)}" d="${pts.map((p, k) => `${k ? 'L' : 'M'}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join('')}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`,
      );
      for (const p of pts)
        if (!s.dashed) parts.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="${s.color}"/>`);
    }
    const ly = m.t + 10 + i * 20;
    parts.push(
      `<line x1="${W - m.r + 12}" y1="${ly}" x2="${W - m.r + 36}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/><text x="${W - m.r + 42}" y="${ly + 4}">${esc(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** Writes budget.md and the four plots into `out`; returns their paths. */
export function writeBudgetReport(out: string, r: BudgetStudyResult): string[] {
  const files: string[] = [];
  const md = join(out, 'budget.md');
  writeFileAtomic(md, budgetMarkdown(r), 'budget study table');
  files.push(md);
  for (const metric of ['psnr', 'ssim'] as const) {
    for (const axis of ['minutes', 'steps'] as const) {
      const series: ChartSeries[] = r.models.map((m) => ({
        name: m.label,
        color: COLORS[m.model] ?? '#444',
        points: m.points.map((q) => ({ x: axis === 'minutes' ? q.train_minutes : q.step, y: num(q[metric]) ?? NaN })),
      }));
      const base = r.copy_last_frame ? num(r.copy_last_frame[metric]) : null;
      const xs = r.models.flatMap((m) => m.points.map((q) => (axis === 'minutes' ? q.train_minutes : q.step)));
      if (base !== null && xs.length)
        series.push({
          name: 'copy last frame',
          color: '#7f7f7f',
          dashed: true,
          points: [
            { x: 0, y: base },
            { x: Math.max(...xs), y: base },
          ],
        });
      const path = join(out, `${metric}-vs-${axis}.svg`);
      const title = `${metric.toUpperCase()} (best of ${r.protocol.trajectories}, ${r.protocol.clips} test clips) vs ${axis === 'minutes' ? 'training wall-clock' : 'training steps'} [${r.scale} scale]`;
      writeFileAtomic(
        path,
        lineChartSvg(title, axis === 'minutes' ? 'training minutes' : 'training steps', metric.toUpperCase(), series),
        'plot',
      );
      files.push(path);
    }
  }
  return files;
}
