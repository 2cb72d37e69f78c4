// Plain-JS reference of channelGather and its gradient (loops over NHWC arrays, float64), shared
// by the core and backend-native tests; independent of tfjs.

export interface GatherCase {
  /** [B, H, W] */
  bhw: [number, number, number];
  channels: number[];
  perm: number[];
  /** a second gather of the same inputs, added (none if absent) */
  addPerm?: number[];
  addend: boolean;
  scale: number;
  label: string;
}

/** ShuffleNet's channel shuffle: output k reads input (k mod g)·C/g + floor(k/g). */
export function shufflePerm(c: number, g: number): number[] {
  return Array.from({ length: c }, (_, k) => (k % g) * (c / g) + Math.floor(k / g));
}

/** Forward: out[r, j] = scale · (cat[r, perm[j]] (+ cat[r, addPerm[j]]) + addend[r, j]). */
export function gatherRef(
  xs: Float32Array[],
  channels: number[],
  rows: number,
  perm: number[],
  addend: Float32Array | null,
  scale: number,
  addPerm?: number[],
): Float64Array {
  const offs: [number, number][] = [];
  channels.forEach((c, s) => {
    for (let k = 0; k < c; k++) offs.push([s, k]);
  });
  const cout = perm.length;
  const out = new Float64Array(rows * cout);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cout; j++) {
      const [s, k] = offs[perm[j]];
      let v = xs[s][r * channels[s] + k] + (addend ? addend[r * cout + j] : 0);
      if (addPerm) {
        const [s2, k2] = offs[addPerm[j]];
        v += xs[s2][r * channels[s2] + k2];
      }
      out[r * cout + j] = scale * v;
    }
  }
  return out;
}

/** Gradients of sum(out · dy): per input scale·dy routed back (0 where unread), then the addend's scale·dy. */
export function scatterRef(
  dy: Float32Array,
  channels: number[],
  rows: number,
  perm: number[],
  addend: boolean,
  scale: number,
  addPerm?: number[],
): Float64Array[] {
  const grads = channels.map((c) => new Float64Array(rows * c));
  const offs: [number, number][] = [];
  channels.forEach((c, s) => {
    for (let k = 0; k < c; k++) offs.push([s, k]);
  });
  const cout = perm.length;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cout; j++) {
      for (const p of addPerm ? [perm, addPerm] : [perm]) {
        const [s, k] = offs[p[j]];
        grads[s][r * channels[s] + k] += scale * dy[r * cout + j];
      }
    }
  }
  if (addend) grads.push(Float64Array.from(dy, (v) => scale * v));
  return grads;
}

/** Deterministic pseudo-random floats in [-1, 1). */
export function seeded(n: number, seed: number): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

/** A random subset of `total` channels of size `n`, in random order (distinct entries). */
export function randomPerm(total: number, n: number, seed: number): number[] {
  const r = seeded(total, seed);
  const idx = Array.from({ length: total }, (_, i) => i).sort((a, b) => r[a] - r[b]);
  return idx.slice(0, n);
}

/**
 * The BRP's channel orders: a Split procedure (paths of `pathOut` + all `cin` input channels, the
 * output = shuffle(2) of [p3, p1, the first `direct` input channels]) for the split ratios the
 * presets use (scaled down), the block output (shuffle(4) or identity + addend, ·√½), the reduce
 * case's bottleneck input slice, and generic random gathers.
 */
export function gatherCases(): GatherCase[] {
  const cases: GatherCase[] = [];
  const split = (bhw: [number, number, number], cin: number, cout: number) => {
    const expand = cin < cout;
    const direct = expand ? cin : cout / 2;
    const pathOut = expand ? (cout - cin) / 2 : cout / 4;
    cases.push({
      bhw,
      channels: [pathOut, pathOut, cin],
      perm: shufflePerm(2 * pathOut + direct, 2),
      addend: false,
      scale: 1,
      label: `split ${cin}->${cout}`,
    });
    if (!expand) {
      const perm = Array.from({ length: cin - direct }, (_, i) => direct + i);
      cases.push({ bhw, channels: [cin], perm, addend: false, scale: 1, label: `bottleneck slice ${cin}->${cout}` });
    }
  };
  // (cin, cout) ratios of the presets' Split blocks (docs: 128->192, 192->288, 192->384, 128->64, 192->128, 1344->576, C->C), scaled
  split([2, 5, 7], 8, 12); // expand 2:3
  split([1, 3, 5], 8, 16); // expand 1:2 (192->384), batch 1
  split([3, 4, 3], 16, 16); // reduce, cin = cout
  split([2, 3, 3], 16, 8); // reduce 2:1 (128->64)
  split([1, 7, 5], 12, 8); // reduce 3:2 (192->128), batch 1
  split([2, 5, 3], 28, 12); // reduce 7:3 (1344->576)
  split([2, 4, 4], 24, 16); // reduce 3:2 (1152->768-like)
  for (const g of [1, 2, 4]) {
    cases.push({
      bhw: [2, 3, 5],
      channels: [16],
      perm: shufflePerm(16, g),
      addend: true,
      scale: Math.SQRT1_2,
      label: `block output shuffle(${g}) + h, ·√½`,
    });
  }
  cases.push({
    bhw: [1, 1, 1],
    channels: [12],
    perm: shufflePerm(12, 4),
    addend: true,
    scale: Math.SQRT1_2,
    label: 'block output 1x1 spatial',
  });
  cases.push({
    bhw: [3, 2, 7],
    channels: [5, 1, 9],
    perm: randomPerm(15, 11, 3),
    addend: false,
    scale: -1.75,
    label: 'random subset, odd widths',
  });
  cases.push({
    bhw: [2, 9, 1],
    channels: [3, 7],
    perm: randomPerm(10, 10, 5),
    addend: true,
    scale: 0.5,
    label: 'random full perm + addend',
  });
  cases.push({ bhw: [1, 5, 5], channels: [7], perm: [6], addend: true, scale: 2, label: 'one channel out' });
  // the BRP block output with its second procedure's Split output read in place: shuffle(g) of the
  // skip + shuffle(2) of [p3, p1, input[..., :direct]] (input's other channels unread), ·√½
  for (const [g, bhw, c, pathOut, cin] of [
    [4, [2, 3, 5], 16, 4, 16],
    [1, [1, 4, 3], 16, 4, 16],
    [2, [2, 2, 3], 8, 2, 8],
  ] as [number, [number, number, number], number, number, number][]) {
    const direct = c - 2 * pathOut;
    cases.push({
      bhw,
      channels: [c, pathOut, pathOut, cin],
      perm: shufflePerm(c, g),
      addPerm: shufflePerm(2 * pathOut + direct, 2).map((k) => c + k),
      addend: false,
      scale: Math.SQRT1_2,
      label: `block output shuffle(${g}) + Split parts read in place, ·√½`,
    });
  }
  cases.push({
    bhw: [3, 2, 3],
    channels: [4, 6, 5],
    perm: randomPerm(15, 6, 11),
    addPerm: randomPerm(15, 15, 11).slice(6, 12),
    addend: true,
    scale: -0.5,
    label: 'two random perms + addend, 3 channels unread',
  });
  // shuffles of a channel range that starts inside one source and ends inside another (the native
  // interleave path for 2, 4 and 8 groups; 3 groups take the general path)
  for (const [g, start, n] of [
    [8, 3, 16],
    [4, 5, 12],
    [2, 1, 14],
    [3, 2, 12],
    [1, 4, 9],
  ]) {
    cases.push({
      bhw: [2, 3, 2],
      channels: [6, 5, 9],
      perm: shufflePerm(n, g).map((c) => start + c),
      addend: g % 2 === 0,
      scale: g === 4 ? Math.SQRT1_2 : 1,
      label: `shuffle(${g}) of channels [${start}, ${start + n}) across sources`,
    });
  }
  return cases;
}
