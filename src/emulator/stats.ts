/** Request accounting that tests and benchmarks read through `emulator.stats()`. */
import type { EmulatorStats } from './types.js';

export interface StatsRecorder {
  request(routeKey: string): void;
  answer(status: number): void;
  fault(kind: keyof EmulatorStats['faults']): void;
  stateWritten(): void;
  snapshot(): EmulatorStats;
  reset(): void;
}

export function createStatsRecorder(): StatsRecorder {
  let stats = empty();
  return {
    request(routeKey) {
      stats.requests++;
      stats.byRoute[routeKey] = (stats.byRoute[routeKey] ?? 0) + 1;
    },
    answer(status) {
      stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
      if (status === 429) stats.rateLimited++;
    },
    fault(kind) {
      stats.faults[kind]++;
    },
    stateWritten() {
      stats.stateWrites++;
    },
    snapshot() {
      return structuredClone(stats);
    },
    reset() {
      stats = empty();
    },
  };
}

function empty(): EmulatorStats {
  return {
    requests: 0,
    byRoute: {},
    byStatus: {},
    rateLimited: 0,
    faults: { errors: 0, drops: 0, hangs: 0 },
    stateWrites: 0,
  };
}
