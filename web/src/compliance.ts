/** Compliance findings from POST /api/compliance/scan (offsets are UTF-16 indices into the text). */
import { useEffect, useRef, useState } from 'react';
import { ApiError, post } from './api';

export interface Finding {
  start: number;
  end: number;
  matched: string;
  word: string;
  category: string;
  severity: 'block' | 'warn';
  reason: string;
  suggestions: string[];
  field?: string;
  id?: string;
}

export interface Scan {
  text: string;
  findings: Finding[];
  masked?: string;
}

/**
 * Scans `text` 300 ms after the last change; `available` is false when the server has no scan API.
 * A new `version` scans the same text again (the risk-word page bumps it when the library changes).
 */
export function useComplianceScan(text: string, enabled = true, version = 0): { scan: Scan | null; available: boolean; loading: boolean } {
  const [scan, setScan] = useState<Scan | null>(null);
  const [available, setAvailable] = useState(true);
  const [loading, setLoading] = useState(false);
  const seq = useRef(0);
  useEffect(() => {
    if (!enabled || !available) return;
    if (!text.trim()) {
      setScan({ text, findings: [] });
      return;
    }
    const n = ++seq.current;
    setLoading(true);
    const timer = setTimeout(() => {
      post<{ findings: Finding[]; masked?: string }>('/api/compliance/scan', { text })
        .then((r) => n === seq.current && setScan({ text, findings: r.findings ?? [], ...(r.masked ? { masked: r.masked } : {}) }))
        .catch((err) => {
          if (err instanceof ApiError && err.status === 404) setAvailable(false);
        })
        .finally(() => n === seq.current && setLoading(false));
    }, 300);
    return () => clearTimeout(timer);
  }, [text, enabled, available, version]);
  return { scan: scan && scan.text === text ? scan : null, available, loading };
}

/** Scans once (the confirm dialog, sandbox replies). Null when the server has no scan API. */
export async function scanText(text: string): Promise<Finding[] | null> {
  try {
    return (await post<{ findings: Finding[] }>('/api/compliance/scan', { text })).findings ?? [];
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}
