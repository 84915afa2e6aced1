/**
 * Repeated benchmark runs, summarised honestly (issue 12, point 6): every figure a benchmark reports
 * is kept per run, and the summary shows min / median / max over the runs, with the goal judged on
 * the median — never on the best run. Pure functions; `run-all.ts` does the printing.
 */

/** min / median / max over the runs of one figure. */
export interface Spread {
  /** Runs with a finite value (NaN, ±Infinity and missing runs are left out). */
  n: number;
  min: number;
  /** The middle value; with an even number of runs, the mean of the two middle ones. */
  median: number;
  max: number;
}

/** min / median / max of the finite values (all NaN, n = 0, when there are none). */
export function spread(values: readonly number[]): Spread {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const n = v.length;
  if (n === 0) return { n: 0, min: Number.NaN, median: Number.NaN, max: Number.NaN };
  const mid = n >> 1;
  const median = n % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { n, min: v[0]!, median, max: v[n - 1]! };
}

/** A goal a figure must reach: `>=` for throughputs and speed-ups, `<=` for latencies and slow-downs. */
export interface Goal {
  op: '>=' | '<=';
  value: number;
}

/** One number one benchmark run reported. */
export interface Figure {
  /** Stable key, the same in every run (e.g. "c.wereply-FULL.p99"). */
  id: string;
  /** Benchmark letter and name, e.g. "(c) reply latency". */
  benchmark: string;
  /** What is measured, e.g. "p99, sync=FULL". */
  label: string;
  /** "ms", "chars/s", "x" (a ratio) … */
  unit: string;
  value: number;
  goal?: Goal;
  /** True when the figure moves with what else runs on the machine (absolute latencies and rates). */
  dependsOnLoad: boolean;
}

export type Verdict = 'met' | 'NOT met' | null;

/** A figure over all runs. */
export interface AggregatedFigure extends Omit<Figure, 'value'> {
  /** Per run, in run order; NaN where the run did not report it. */
  values: number[];
  spread: Spread;
  /** The goal judged on the median (null without a goal, 'NOT met' when no run reported a value). */
  verdict: Verdict;
}

export function judge(value: number, goal: Goal | undefined): Verdict {
  if (!goal) return null;
  if (!Number.isFinite(value)) return 'NOT met';
  return (goal.op === '>=' ? value >= goal.value : value <= goal.value) ? 'met' : 'NOT met';
}

/**
 * Groups the figures of every run by id (in the order ids first appear) and summarises each:
 * values per run, min / median / max, verdict on the median. The goal, label and load flag are the
 * first run's that reported the figure.
 */
export function aggregateFigures(runs: readonly (readonly Figure[])[]): AggregatedFigure[] {
  const order: string[] = [];
  const first = new Map<string, Figure>();
  for (const run of runs) {
    for (const f of run) {
      if (!first.has(f.id)) {
        first.set(f.id, f);
        order.push(f.id);
      }
    }
  }
  return order.map((id) => {
    const { value: _v, ...meta } = first.get(id)!;
    const values = runs.map((run) => run.find((f) => f.id === id)?.value ?? Number.NaN);
    const s = spread(values);
    return { ...meta, values, spread: s, verdict: judge(s.median, meta.goal) };
  });
}
