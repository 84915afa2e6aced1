/**
 * The chart, loaded on demand: ECharts (~500 KB) is fetched only when a page actually draws a chart,
 * after the page's own content has painted (the rules list must not wait for it: issue 12, point 5).
 * The placeholder keeps the chart's height, so nothing moves when it arrives.
 */
import { lazy, Suspense } from 'react';
import type { EChartsCoreOption } from 'echarts/core';

const Chart = lazy(() => import('./EChart').then((m) => ({ default: m.EChart })));

export function EChart(props: { option: EChartsCoreOption; height?: number; label: string }) {
  return (
    <Suspense fallback={<div role="img" aria-label={props.label} aria-busy="true" style={{ height: props.height ?? 220 }} />}>
      <Chart {...props} />
    </Suspense>
  );
}
