import {
  type ArmComparison,
  compareArms,
  enoughData,
  MIN_SAMPLE_PER_ARM,
  median,
  normalCdf,
  twoProportionZTest,
  waldDifferenceCI,
} from '../../reporting/stats';

// Reference values computed once, outside the repo (the test does not need Python), with statsmodels 0.15.0,
// scipy 1.17.1, numpy 2.4.6 (Python 3 venv):
//   z, p    = statsmodels.stats.proportion.proportions_ztest([x1, x2], [n1, n2])
//   lo, hi  = statsmodels.stats.proportion.confint_proportions_2indep(x1, n1, x2, n2, method='wald', compare='diff')
//   cdf     = scipy.stats.norm.cdf(z)
// statsmodels tests x1/n1 - x2/n2, so the treatment arm is passed first: its signs are then ours (treatment - control).
// Rows: [x1, n1, x2, n2, z, p, lo, hi].
const TWO_PROPORTION: Array<[number, number, number, number, number, number, number, number]> = [
  [52, 500, 45, 500, 0.7479426482469965, 0.45449475158582264, -0.02267636776351798, 0.05067636776351798], // not significant
  [150, 1000, 110, 1000, 2.659583874167387, 0.007823724726272956, 0.010574418983060732, 0.06942558101693926], // better
  [80, 1000, 120, 1000, -2.9814239699997187, 0.0028691127920766196, -0.06623717630897782, -0.01376282369102216], // worse
  [330, 2000, 190, 2000, 6.582134273953523, 4.6374247576333245e-11, 0.04926926905376573, 0.09073073094623428], // tiny p
  [540, 3600, 48, 400, 1.6074568442235404, 0.10795418901357887, -0.003914551378862437, 0.06391455137886243], // 90/10 holdout
  [500, 2000, 200, 2000, 12.483755678647185, 9.156362289603102e-36, 0.12691315501478578, 0.1730868449852142], // far tail
];

// [z, scipy.stats.norm.cdf(z)]; -0.3 and 1 exercise Cody's first two intervals, -6.5 to -12 the asymptotic one.
const NORMAL_CDF: Array<[number, number]> = [
  [0, 0.5],
  [-0.3, 0.3820885778110474],
  [1, 0.8413447460685429],
  [1.959963984540054, 0.975],
  [-1.959963984540054, 0.025],
  [-3, 0.0013498980316300933],
  [-5, 2.866515718791933e-7],
  [-6.5, 4.016000583859088e-11],
  [-8, 6.22096057427174e-16],
  [-12, 1.776482112077653e-33],
];

/** Relative comparison: p-values span 1 to 1e-36, where an absolute 1e-6 would accept anything. */
function expectRel(actual: number, expected: number, rel = 1e-9): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));
}

function expectAbs(actual: number, expected: number, abs = 1e-9): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(abs);
}

function expectNoNaN(c: ArmComparison): void {
  for (const v of [c.rate, c.controlRate, c.difference, c.pValue, ...c.ci95, c.uplift ?? 0]) expect(Number.isFinite(v)).toBe(true);
}

const arm = (name: string, conversions: number, customers: number) => ({ arm: name, customers, conversions });

test('normalCdf matches scipy.stats.norm.cdf to 1e-9 relative, deep into the tail', () => {
  for (const [z, cdf] of NORMAL_CDF) expectRel(normalCdf(z), cdf);
  for (const z of [0.1, 0.7, 2.5, 4.2, 9]) expectAbs(normalCdf(z) + normalCdf(-z), 1, 1e-15);
  expect(normalCdf(-Infinity)).toBe(0);
  expect(normalCdf(Infinity)).toBe(1);
  expect(normalCdf(-40)).toBe(0);
});

test('twoProportionZTest matches statsmodels proportions_ztest (z to 1e-9, p-value to 1e-9 relative)', () => {
  for (const [x1, n1, x2, n2, z, p] of TWO_PROPORTION) {
    const r = twoProportionZTest(x1, n1, x2, n2);
    expectAbs(r.z, z);
    expectRel(r.pValue, p);
  }
});

test('waldDifferenceCI matches statsmodels confint_proportions_2indep(method=wald, compare=diff)', () => {
  for (const [x1, n1, x2, n2, , , lo, hi] of TWO_PROPORTION) {
    const [l, h] = waldDifferenceCI(x1, n1, x2, n2);
    expectAbs(l, lo);
    expectAbs(h, hi);
  }
  // The same call with alpha=0.01.
  const [l99, h99] = waldDifferenceCI(150, 1000, 110, 1000, 0.99);
  expectAbs(l99, 0.0013282313066730472);
  expectAbs(h99, 0.07867176869332694);
});

test('swapping the arms flips the sign of z and of the interval, not the p-value', () => {
  const ab = twoProportionZTest(150, 1000, 110, 1000);
  const ba = twoProportionZTest(110, 1000, 150, 1000);
  expect(ba.z).toBeCloseTo(-ab.z, 12);
  expect(ba.pValue).toBeCloseTo(ab.pValue, 15);
  const [l, h] = waldDifferenceCI(110, 1000, 150, 1000);
  expectAbs(l, -0.06942558101693926);
  expectAbs(h, -0.010574418983060732);
});

test('compareArms reports treatment minus control with the reference numbers and a verdict', () => {
  const [b] = compareArms([arm('a', 110, 1000), arm('b', 150, 1000)]);
  expect(b).toMatchObject({ arm: 'b', control: 'a', method: 'two-proportion z-test (pooled), Wald 95% CI (unpooled)', verdict: 'better than control' });
  expectAbs(b.rate, 0.15);
  expectAbs(b.controlRate, 0.11);
  expectAbs(b.difference, 0.04);
  expectAbs(b.ci95[0], 0.010574418983060732);
  expectAbs(b.ci95[1], 0.06942558101693926);
  expectAbs(b.uplift ?? Number.NaN, 0.15 / 0.11 - 1);
  expectRel(b.pValue, 0.007823724726272956);

  const [worse] = compareArms([arm('a', 120, 1000), arm('b', 80, 1000)]);
  expect(worse.verdict).toBe('worse than control');
  expectRel(worse.pValue, 0.0028691127920766196);
  expect(compareArms([arm('a', 45, 500), arm('b', 52, 500)])[0].verdict).toBe('no significant difference');
});

test('the control is the arm named control (holdouts), else the first arm, else the one asked for', () => {
  const holdout = compareArms([arm('treatment', 540, 3600), arm('control', 48, 400)]);
  expect(holdout.map((c) => [c.arm, c.control, c.verdict])).toEqual([['treatment', 'control', 'no significant difference']]);
  expectRel(holdout[0].pValue, 0.10795418901357887);

  const abc = compareArms([arm('a', 100, 1000), arm('b', 120, 1000), arm('c', 90, 1000)]);
  expect(abc.map((c) => `${c.arm} vs ${c.control}`)).toEqual(['b vs a', 'c vs a']);
  expect(compareArms([arm('a', 100, 1000), arm('b', 120, 1000)], 'b').map((c) => `${c.arm} vs ${c.control}`)).toEqual(['a vs b']);
  expect(() => compareArms([arm('a', 1, 100)], 'nope')).toThrow(/no arm named 'nope'/);
  expect(() => compareArms([arm('a', 1, 100), arm('a', 2, 100)])).toThrow(/unique/);
  expect(compareArms([])).toEqual([]);
  expect(compareArms([arm('control', 5, 100)])).toEqual([]);
});

test('an empty arm gives rate 0, p 1, the interval [-1, 1] and no NaN', () => {
  for (const [t, c] of [
    [arm('b', 0, 0), arm('a', 10, 100)],
    [arm('b', 10, 100), arm('a', 0, 0)],
    [arm('b', 0, 0), arm('a', 0, 0)],
  ]) {
    const [r] = compareArms([c, t]);
    expectNoNaN(r);
    expect(r).toMatchObject({ pValue: 1, ci95: [-1, 1], verdict: 'not enough data yet' });
  }
  expect(compareArms([arm('a', 0, 0), arm('b', 10, 100)])[0].uplift).toBeNull();
});

test('no conversions in either arm: p 1, interval [0, 0], no uplift (statsmodels would answer NaN here)', () => {
  const [r] = compareArms([arm('a', 0, 1000), arm('b', 0, 1000)]);
  expectNoNaN(r);
  expect(r).toMatchObject({ rate: 0, controlRate: 0, difference: 0, ci95: [0, 0], uplift: null, pValue: 1, verdict: 'not enough data yet' });
  expect(twoProportionZTest(0, 1000, 0, 1000)).toEqual({ z: 0, pValue: 1 });
});

test('everyone converting in both arms: p 1, interval [0, 0], uplift 0', () => {
  const [r] = compareArms([arm('a', 500, 500), arm('b', 400, 400)]);
  expectNoNaN(r);
  expect(r).toMatchObject({ rate: 1, controlRate: 1, difference: 0, ci95: [0, 0], uplift: 0, pValue: 1, verdict: 'not enough data yet' });
});

test('not enough data yet: under MIN_SAMPLE_PER_ARM customers, or an expected count under 5', () => {
  expect(MIN_SAMPLE_PER_ARM).toBe(30);
  // 15/29 vs 2/30 would be "significant" (p < 0.001), but 29 customers is too few.
  expect(compareArms([arm('a', 2, 30), arm('b', 15, MIN_SAMPLE_PER_ARM - 1)])[0].verdict).toBe('not enough data yet');
  expect(compareArms([arm('a', 2, 30), arm('b', 15, MIN_SAMPLE_PER_ARM)])[0].verdict).toBe('better than control');
  // Pooled rate 10/200: expected conversions 100 * 0.05 = 5 per arm, exactly on the rule; 9/200 falls under it.
  expect(enoughData(arm('a', 0, 100), arm('b', 10, 100))).toBe(true);
  expect(enoughData(arm('a', 0, 100), arm('b', 9, 100))).toBe(false);
  // The same rule on non-conversions: 195 of 200 converting leaves 2.5 expected non-conversions per arm.
  expect(enoughData(arm('a', 100, 100), arm('b', 95, 100))).toBe(false);
  // A 10% holdout of 40 with a 2% rate: expected conversions 40 * 0.02 = 0.8, too few whatever the p-value.
  expect(compareArms([arm('treatment', 7, 360), arm('control', 1, 40)])[0].verdict).toBe('not enough data yet');
  // An arm with no conversion at all is fine when the pooled expectation is large: 0/1000 vs 50/1000.
  expect(compareArms([arm('a', 50, 1000), arm('b', 0, 1000)])[0].verdict).toBe('worse than control');
});

test('impossible counts are refused rather than shown as NaN or a rate above 100%', () => {
  expect(() => compareArms([arm('a', 11, 10), arm('b', 1, 10)])).toThrow(RangeError);
  expect(() => twoProportionZTest(-1, 10, 1, 10)).toThrow(RangeError);
  expect(() => waldDifferenceCI(1.5, 10, 1, 10)).toThrow(RangeError);
  expect(() => waldDifferenceCI(1, 10, 1, 10, 1)).toThrow(RangeError);
});

test('median of times to convert: middle value, mean of the two middles, null when empty', () => {
  expect(median([])).toBeNull();
  expect(median([5])).toBe(5);
  expect(median([9, 1, 5])).toBe(5);
  expect(median([4, 1, 3, 2])).toBe(2.5);
  expect(median([Number.NaN, 3, Number.POSITIVE_INFINITY, 1])).toBe(2);
  expect(median([Number.NaN])).toBeNull();
  const input = [3, 1, 2];
  median(input);
  expect(input).toEqual([3, 1, 2]);
});
