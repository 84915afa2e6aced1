/**
 * The chart, loaded on demand: ECharts (~500 KB, ~0.5 s of main-thread work with a 4× slower CPU) is
 * fetched only once the page around it has painted — the first frame after mount shows a placeholder
 * of the chart's height, so the rules list's largest contentful paint never waits for it (issue 12,
 * point 5), and nothing moves when the chart arrives.
 */
import { lazy, Suspense, useEffect, useState } from 'react';
import type { EChartsCoreOption } from 'echarts/core';

const Chart = lazy(() => import('./EChart').then((m) => ({ default: m.EChart })));

export function EChart(props: { option: EChartsCoreOption; height?: number; label: string }) {
  const [painted, setPainted] = useState(false);
  useEffect(() => {
    // requestAnimationFrame runs before the next paint; the timeout after it runs once that frame is on screen.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => setPainted(true), 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      if (timer !== undefined) clearTimeout(timer);
    };
  }, []);
  const placeholder = <div role="img" aria-label={props.label} aria-busy="true" style={{ height: props.height ?? 220 }} />;
  if (!painted) return placeholder;
  return (
    <Suspense fallback={placeholder}>
      <Chart {...props} />
    </Suspense>
  );
}
