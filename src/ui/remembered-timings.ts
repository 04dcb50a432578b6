// The engine's backend timings, kept in this browser per workload so that a later visit on the same device skips
// timing (the worker has no storage of its own; the engine says which device the timings belong to). A browser that
// refuses storage simply times again.
import type { EngineInfo, RememberedTimings, Workload } from '../worker/protocol.ts';

const KEY = (workload: Workload) => `inversion-playground:backend-timings:${workload}`;
/** Devices kept per workload (a laptop docked and undocked is two). */
const MAX_DEVICES = 4;

export function rememberedTimings(workload: Workload): RememberedTimings[] {
  try {
    const kept = JSON.parse(localStorage.getItem(KEY(workload)) ?? '[]');
    return Array.isArray(kept) ? kept.filter((r) => typeof r?.key === 'string' && Array.isArray(r?.timings)) : [];
  } catch {
    return [];
  }
}

/** Keeps what the engine measured now (nothing when it chose without timing, or used remembered timings). */
export function rememberTimings(workload: Workload, info: EngineInfo): void {
  if (!info.timings || !info.timingKey || info.timedEarlier) return;
  const kept = [{ key: info.timingKey, timings: info.timings }, ...rememberedTimings(workload).filter((r) => r.key !== info.timingKey)];
  try {
    localStorage.setItem(KEY(workload), JSON.stringify(kept.slice(0, MAX_DEVICES)));
  } catch {
    // Storage refused or full: the next visit times again.
  }
}
