// Every value of golden/ddpm_schedule.json against the float64 host maths, to 1e-10.
import { afterAll, describe, expect, it } from 'vitest';
import { flat, loadGolden, regenerate, type FixtureJson } from '../../../test-utils/golden';
import { NoiseSchedule } from '../src/schedule';
import { samplingPlan } from '../src/samplers';
import { ddimCoefficients } from '../src/samplers';

const golden = loadGolden('ddpm_schedule.json');
const TOL = 1e-10;
/** max abs error per field, printed at the end (the closing note of the issue quotes these). */
const report = new Map<string, number>();
function record(field: string, err: number): void {
  report.set(field, Math.max(report.get(field) ?? 0, err));
}
function maxErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
}
/** Error relative to max(1, |v|) (the golden README's guidance is ~1e-10 relative). */
function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

const schedules: Record<string, NoiseSchedule> = {
  linear_T1000: new NoiseSchedule(),
  linear_T100: NoiseSchedule.linear(100),
  linear_T100_improved_ddpm_scaled: NoiseSchedule.linear(100, 1e-3, 0.2),
  cosine_T1000: NoiseSchedule.cosine(),
  cosine_T100: NoiseSchedule.cosine(100),
};

const fieldMap: Record<string, keyof NoiseSchedule> = {
  betas: 'betas',
  alphas: 'alphas',
  alphas_cumprod: 'alphasCumprod',
  alphas_cumprod_prev: 'alphasCumprodPrev',
  sqrt_alphas_cumprod: 'sqrtAlphasCumprod',
  sqrt_one_minus_alphas_cumprod: 'sqrtOneMinusAlphasCumprod',
  log_one_minus_alphas_cumprod: 'logOneMinusAlphasCumprod',
  sqrt_recip_alphas_cumprod: 'sqrtRecipAlphasCumprod',
  sqrt_recipm1_alphas_cumprod: 'sqrtRecipm1AlphasCumprod',
  posterior_variance: 'posteriorVariance',
  posterior_log_variance_clipped: 'posteriorLogVarianceClipped',
  posterior_mean_coef1: 'posteriorMeanCoef1',
  posterior_mean_coef2: 'posteriorMeanCoef2',
};

describe('schedules vs golden', () => {
  for (const [name, sched] of Object.entries(schedules)) {
    it(`${name}: every listed field at every listed t`, () => {
      const g = golden.cases[name];
      expect(sched.T).toBe(g.T);
      const fields = Object.keys(g.values_at_timesteps);
      expect(fields.sort()).toEqual(Object.keys(fieldMap).sort());
      for (const f of fields) {
        const arr = sched[fieldMap[f]] as Float64Array;
        const ours = g.timesteps.map((t: number) => arr[t]);
        const err = maxErr(ours, g.values_at_timesteps[f]);
        record(`cases.${f}`, err);
        expect(err, `${name}.${f}`).toBeLessThan(TOL);
        expect(maxRelErr(ours, g.values_at_timesteps[f]), `${name}.${f} (relative)`).toBeLessThan(TOL);
      }
      if (g.full_betas) {
        const eb = maxErr(sched.betas, g.full_betas);
        const ea = maxErr(sched.alphasCumprod, g.full_alphas_cumprod);
        record('cases.full_betas', eb);
        record('cases.full_alphas_cumprod', ea);
        expect(eb).toBeLessThan(TOL);
        expect(ea).toBeLessThan(TOL);
      }
      if (g.continuous_alpha_bar_ratio_at_timesteps) {
        const clipped = Array.from(sched.betas.entries())
          .filter(([, b]) => b >= 0.999)
          .map(([i]) => i);
        expect(clipped).toEqual(g.clipped_indices);
        expect(clipped.length).toBe(g.num_clipped_betas);
        // away from the clipped last step, ᾱ_t equals the continuous ratio ᾱ((t+1)/T)/ᾱ(0)
        const vals = g.continuous_alpha_bar_ratio_at_timesteps.values as number[];
        g.timesteps.forEach((t: number, i: number) => {
          if (t >= clipped[0]) return;
          const e = Math.abs(sched.alphasCumprod[t] - vals[i]);
          record('cases.continuous_alpha_bar_ratio', e);
          expect(e).toBeLessThan(TOL);
        });
      }
    });
  }
});

describe('DDIM tables vs golden', () => {
  const stepFields = ['alpha_cumprod_t', 'alpha_cumprod_prev', 'x0_coef_xt', 'x0_coef_eps', 'coef_xt', 'coef_eps', 'sigma_eta1'];
  const ours = (p: ReturnType<typeof samplingPlan>[number]) => {
    const c0 = ddimCoefficients(p, 0);
    const c1 = ddimCoefficients(p, 1);
    return {
      alpha_cumprod_t: p.alphaBar,
      alpha_cumprod_prev: p.alphaBarPrev,
      x0_coef_xt: c0.x0CoefXt,
      x0_coef_eps: c0.x0CoefEps,
      coef_xt: c0.coefXt,
      coef_eps: c0.coefEps,
      sigma_eta1: c1.sigma,
    } as Record<string, number>;
  };
  for (const [key, g] of Object.entries<FixtureJson>(golden.ddim)) {
    it(`${key}: timesteps, every step's coefficients, the alternative last step`, () => {
      const sched = schedules[g.schedule];
      const plan = samplingPlan(sched, { steps: g.num_steps, spacing: 'leading' });
      expect(
        plan
          .map((p) => p.t)
          .slice()
          .reverse(),
      ).toEqual(g.timesteps_ascending);
      expect(plan.length).toBe(g.steps_in_sampling_order.length);
      plan.forEach((p, k) => {
        const gs = g.steps_in_sampling_order[k];
        expect([p.t, p.tPrev]).toEqual([gs.t, gs.t_prev]);
        const o = ours(p);
        for (const f of stepFields) {
          const e = Math.abs(o[f] - gs[f]);
          record(`ddim.${f}`, e);
          expect(e, `${key} step ${k} ${f}`).toBeLessThan(TOL);
        }
      });
      const alt = samplingPlan(sched, { steps: g.num_steps, spacing: 'leading', finalAlphaBar: 'alphas-cumprod-0' });
      const lastAlt = ours(alt[alt.length - 1]);
      for (const f of stepFields) {
        const e = Math.abs(lastAlt[f] - g.last_step_if_final_alpha_is_alphas_cumprod0[f]);
        record(`ddim.last_step_alt.${f}`, e);
        expect(e).toBeLessThan(TOL);
      }
    });

    it(`${key}: toy run trajectory (float64 host loop over the plan's coefficients)`, () => {
      const sched = schedules[g.schedule];
      const toy = g.toy_run;
      const xT = regenerate(toy.x_T_generation);
      expect(maxErr(xT, toy.x_T)).toBe(0);
      const plan = samplingPlan(sched, { steps: g.num_steps, spacing: 'leading' });
      let x = xT.slice();
      let worst = maxErr(x, toy.trajectory[0]);
      plan.forEach((p, k) => {
        const c = ddimCoefficients(p, 0);
        // toy model: eps(x, t) = sqrt(1 - ᾱ_t)·x; update x_prev = coefXt·x + coefEps·eps
        x = x.map((v) => c.coefXt * v + c.coefEps * Math.sqrt(1 - p.alphaBar) * v);
        worst = Math.max(worst, maxErr(x, flat(toy.trajectory[k + 1])));
      });
      record('ddim.toy_run.trajectory', worst);
      expect(worst).toBeLessThan(TOL);
    });
  }
});

describe('forward_and_posterior_examples vs golden (float64 from the schedule tables)', () => {
  it('q_sample, posterior mean and x0 reconstruction at every listed t', () => {
    const ex = golden.forward_and_posterior_examples;
    const s = schedules[ex.schedule];
    const x0 = regenerate(ex.x0_generation);
    const eps = regenerate(ex.eps_generation);
    expect(maxErr(x0, ex.x0)).toBe(0);
    expect(maxErr(eps, ex.eps)).toBe(0);
    for (const c of ex.cases) {
      const t = c.t as number;
      const xt = x0.map((v, i) => s.sqrtAlphasCumprod[t] * v + s.sqrtOneMinusAlphasCumprod[t] * eps[i]);
      const pm = x0.map((v, i) => s.posteriorMeanCoef1[t] * v + s.posteriorMeanCoef2[t] * xt[i]);
      const rec = xt.map((v, i) => s.sqrtRecipAlphasCumprod[t] * v - s.sqrtRecipm1AlphasCumprod[t] * eps[i]);
      for (const [f, v] of [
        ['x_t', xt],
        ['posterior_mean', pm],
        ['x0_reconstructed_from_eps', rec],
      ] as const) {
        const e = maxErr(v, c[f]);
        record(`forward.${f}`, e);
        expect(e, `t=${t} ${f}`).toBeLessThan(TOL);
      }
    }
  });
});

afterAll(() => {
  const rows = [...report.entries()].map(([k, v]) => `  ${k.padEnd(44)} ${v.toExponential(2)}`);
  console.log(`ddpm_schedule.json max abs error per field:\n${rows.join('\n')}`);
});
