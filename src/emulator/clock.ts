/**
 * Write timestamps: ISO-8601 UTC with microseconds, strictly increasing across the whole emulator even when
 * many writes land in one millisecond, so `updated_at` changes on every write and orders writes exactly.
 */

export interface StampClock {
  /** A fresh, strictly increasing stamp. */
  stamp(): Stamp;
  /** Never hand out a stamp at or below `micros` (after loading saved state). */
  advancePast(micros: number): void;
}

export interface Stamp {
  micros: number;
  iso: string;
}

export function createStampClock(now: () => Date): StampClock {
  let last = 0;
  return {
    stamp() {
      last = Math.max(now().getTime() * 1000, last + 1);
      return { micros: last, iso: isoFromMicros(last) };
    },
    advancePast(micros) {
      last = Math.max(last, micros);
    },
  };
}

export function isoFromMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const extra = String(micros % 1000).padStart(3, '0');
  return new Date(ms).toISOString().replace(/Z$/, `${extra}Z`);
}

/** Inverse of `isoFromMicros` for stamps this module wrote; plain ISO strings read at millisecond precision. */
export function microsFromIso(iso: string): number {
  const match = /\.(\d{3})(\d{3})Z$/.exec(iso);
  const ms = Date.parse(iso);
  return match ? ms * 1000 + Number(match[2]) : ms * 1000;
}
