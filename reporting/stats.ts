// The statistics behind `omnijourney report <journey>`: per arm of a split (`j.split('offer', { a: 50, b: 50 })`,
// holdouts `{ control: 10, treatment: 90 }`), the conversion rate and its difference against the control arm, with
// a 95% confidence interval, a two-sided p-value and a plain verdict. Pure (no imports at all), so every number is
// unit-tested against statsmodels/scipy reference values (test/unit/stats.test.ts).

export interface ArmCounts {
  arm: string;
  customers: number;
  conversions: number;
}

export interface ArmComparison {
  arm: string;
  control: string;
  rate: number;
  controlRate: number;
  /** rate - controlRate (absolute difference of proportions) */
  difference: number;
  /** 95% CI of the difference */
  ci95: [number, number];
  /** relative uplift (rate / controlRate - 1), null when controlRate is 0 */
  uplift: number | null;
  /** two-sided */
  pValue: number;
  method: string;
  verdict: 'not enough data yet' | 'no significant difference' | 'better than control' | 'worse than control';
}

/** Customers each arm needs before a verdict: the usual n >= 30 floor, so a handful of customers whose expected
 *  counts happen to pass MIN_EXPECTED_COUNT (10 customers at 50%) never produces a verdict. */
export const MIN_SAMPLE_PER_ARM = 30;

/** Cochran's rule for the normal approximation: the pooled z-test is the 2x2 chi-square test, valid when every
 *  expected count (conversions and non-conversions of both arms, under the pooled rate) is at least 5. */
export const MIN_EXPECTED_COUNT = 5;

/** Significance level of the verdict (two-sided), matching the 95% interval shown next to it. */
export const ALPHA = 0.05;

/** Named in the report, so a reader can reproduce the numbers (statsmodels proportions_ztest and
 *  confint_proportions_2indep(method='wald', compare='diff') compute exactly these). */
export const METHOD = 'two-proportion z-test (pooled), Wald 95% CI (unpooled)';

/** One comparison per non-control arm. The control is `control` when given, else the arm named 'control' (a holdout),
 *  else the first arm (an A/B split compares b, c, ... with a). */
export function compareArms(arms: ArmCounts[], control?: string): ArmComparison[] {
  if (arms.length === 0) return [];
  for (const a of arms) checkCounts(a.conversions, a.customers, a.arm);
  if (new Set(arms.map((a) => a.arm)).size !== arms.length) throw new RangeError('arm names must be unique');
  const name = control ?? (arms.some((a) => a.arm === 'control') ? 'control' : arms[0].arm);
  const base = arms.find((a) => a.arm === name);
  if (!base) throw new RangeError(`no arm named '${name}' (arms: ${arms.map((a) => a.arm).join(', ')})`);
  return arms.filter((a) => a !== base).map((a) => compareTwo(a, base));
}

function compareTwo(arm: ArmCounts, control: ArmCounts): ArmComparison {
  const rate = rateOf(arm);
  const controlRate = rateOf(control);
  const difference = rate - controlRate;
  const { pValue } = twoProportionZTest(arm.conversions, arm.customers, control.conversions, control.customers);
  return {
    arm: arm.arm,
    control: control.arm,
    rate,
    controlRate,
    difference,
    ci95: waldDifferenceCI(arm.conversions, arm.customers, control.conversions, control.customers),
    uplift: controlRate === 0 ? null : rate / controlRate - 1,
    pValue,
    method: METHOD,
    verdict: !enoughData(arm, control)
      ? 'not enough data yet'
      : pValue >= ALPHA
        ? 'no significant difference'
        : difference > 0
          ? 'better than control'
          : 'worse than control',
  };
}

/** An empty arm shows 0% rather than NaN; its comparison says 'not enough data yet' anyway. */
function rateOf(a: ArmCounts): number {
  return a.customers === 0 ? 0 : a.conversions / a.customers;
}

/** Whether the normal approximation may be trusted for this pair: MIN_SAMPLE_PER_ARM customers in each arm and every
 *  expected count at least MIN_EXPECTED_COUNT. Compared in integers (n * x >= 5 * N), so a boundary case is exact. */
export function enoughData(a: ArmCounts, b: ArmCounts): boolean {
  if (a.customers < MIN_SAMPLE_PER_ARM || b.customers < MIN_SAMPLE_PER_ARM) return false;
  const total = a.customers + b.customers;
  const converted = a.conversions + b.conversions;
  return [a.customers, b.customers].every((n) => n * converted >= MIN_EXPECTED_COUNT * total && n * (total - converted) >= MIN_EXPECTED_COUNT * total);
}

/** Two-sided pooled z-test of p1 - p2 = 0 (statsmodels' order: z > 0 when arm 1 converts more). No evidence either
 *  way (an empty arm, or both arms at 0% or both at 100%) gives z 0 and p 1 instead of 0/0. */
export function twoProportionZTest(x1: number, n1: number, x2: number, n2: number): { z: number; pValue: number } {
  checkCounts(x1, n1, 'arm 1');
  checkCounts(x2, n2, 'arm 2');
  if (n1 === 0 || n2 === 0) return { z: 0, pValue: 1 };
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { z: 0, pValue: 1 };
  const z = (x1 / n1 - x2 / n2) / se;
  // The lower tail doubled, not 1 - cdf: keeps tiny p-values (1e-10) accurate instead of cancelling to 0.
  return { z, pValue: Math.min(1, 2 * normalCdf(-Math.abs(z))) };
}

/** Wald (unpooled) interval of p1 - p2. Not clipped to [-1, 1], as in statsmodels. Both arms at 0% (or 100%) give
 *  [0, 0]; an empty arm gives [-1, 1], the honest "anything is possible". */
export function waldDifferenceCI(x1: number, n1: number, x2: number, n2: number, confidence = 0.95): [number, number] {
  checkCounts(x1, n1, 'arm 1');
  checkCounts(x2, n2, 'arm 2');
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be between 0 and 1, got ${confidence}`);
  if (n1 === 0 || n2 === 0) return [-1, 1];
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const halfWidth = upperQuantile((1 - confidence) / 2) * Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  return [p1 - p2 - halfWidth, p1 - p2 + halfWidth];
}

/** Standard normal CDF through Cody's erfc: relative error near 1e-15 even deep in the tail, where p-values live
 *  (Abramowitz-Stegun 7.1.26 is only good to 1.5e-7 absolute, useless for p = 1e-10). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Median, the middle of an even count averaged; null when there is nothing (no conversions yet). Non-finite values
 *  (a conversion without a timestamp) are left out rather than turning the median into NaN. */
export function median(values: number[]): number | null {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Counts come from the store; a bad one (conversions above customers) would otherwise show as NaN or a rate above 100%. */
function checkCounts(conversions: number, customers: number, what: string): void {
  const ok = Number.isInteger(conversions) && Number.isInteger(customers) && conversions >= 0 && conversions <= customers;
  if (!ok) throw new RangeError(`${what}: need whole counts with 0 <= conversions <= customers, got ${conversions} of ${customers}`);
}

/** The z with upper-tail probability `tail` (scipy's norm.isf), by bisection on normalCdf: called once per report, so
 *  simple and exactly as accurate as normalCdf beats a faster approximation. */
function upperQuantile(tail: number): number {
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (normalCdf(-mid) > tail) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

// W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969) 631-638, as in his
// netlib specfun CALERF (1990): erf on |x| <= 0.46875, erfc on (0.46875, 4] and beyond 4.
const ERF_A = [3.1611237438705656, 113.864154151050156, 377.485237685302021, 3209.37758913846947, 0.185777706184603153];
const ERF_B = [23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062];
const ERFC_C = [
  0.564188496988670089, 8.88314979438837594, 66.1191906371416295, 298.635138197400131, 881.95222124176909, 1712.04761263407058, 2051.07837782607147,
  1230.33935479799725, 2.15311535474403846e-8,
];
const ERFC_D = [
  15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019, 3290.79923573345963, 4362.61909014324716, 3439.36767414372164,
  1230.33935480374942,
];
const ERFC_P = [0.305326634961232344, 0.360344899949804439, 0.125781726111229246, 0.0160837851487422766, 6.58749161529837803e-4, 0.0163153871373020978];
const ERFC_Q = [2.56852019228982242, 1.87295284992346047, 0.527905102951428412, 0.0605183413124413191, 0.00233520497626869185];
const SQRT_1_PI = 0.56418958354775628695;

/** erfc(x) = 1 - erf(x), computed directly (not as 1 - erf) so the tail keeps its relative precision. */
function erfc(x: number): number {
  const y = Math.abs(x);
  if (y <= 0.46875) {
    const ysq = y * y;
    let num = ERF_A[4] * ysq;
    let den = ysq;
    for (let i = 0; i < 3; i++) {
      num = (num + ERF_A[i]) * ysq;
      den = (den + ERF_B[i]) * ysq;
    }
    return 1 - (x * (num + ERF_A[3])) / (den + ERF_B[3]);
  }
  let r = 0;
  if (y <= 4) {
    let num = ERFC_C[8] * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + ERFC_C[i]) * y;
      den = (den + ERFC_D[i]) * y;
    }
    r = (num + ERFC_C[7]) / (den + ERFC_D[7]);
  } else if (y < 26.543) {
    const ysq = 1 / (y * y);
    let num = ERFC_P[5] * ysq;
    let den = ysq;
    for (let i = 0; i < 4; i++) {
      num = (num + ERFC_P[i]) * ysq;
      den = (den + ERFC_Q[i]) * ysq;
    }
    r = (SQRT_1_PI - (ysq * (num + ERFC_P[4])) / (den + ERFC_Q[4])) / y;
  }
  // exp(-y^2) split as exp(-t^2) * exp(-(y - t)(y + t)) with t = y rounded down to 1/16, as Cody does, so the
  // rounding error of y * y is not amplified by the exponential.
  const t = Math.trunc(y * 16) / 16;
  const result = r === 0 ? 0 : Math.exp(-t * t) * Math.exp(-(y - t) * (y + t)) * r;
  return x < 0 ? 2 - result : result;
}
