/**
 * The open-alert count for the nav badge: GET /api/alerts/summary, polled every 15 s while the
 * console is open (and at once after an acknowledgement), for roles that handle alerts.
 */
import { useEffect, useState } from 'react';
import { get } from '../api';

const listeners = new Set<() => void>();

/** Re-reads the count now (after acknowledging an alert). */
export function refreshAlertBadge(): void {
  for (const l of listeners) l();
}

export function useOpenAlerts(enabled: boolean, everyMs = 15_000): number {
  const [open, setOpen] = useState(0);
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    const read = () =>
      void get<{ open: number }>('/api/alerts/summary')
        .then((r) => live && setOpen(r.open))
        .catch(() => undefined);
    read();
    const timer = setInterval(read, everyMs);
    listeners.add(read);
    return () => {
      live = false;
      clearInterval(timer);
      listeners.delete(read);
    };
  }, [enabled, everyMs]);
  return open;
}
