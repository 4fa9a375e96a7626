/** Parsing of human durations such as `500ms`, `10s`, `2m`, `1h30m`, `1.5s`. */

const UNIT_MS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** parseDurationMs parses a duration into milliseconds; a bare number means seconds. Returns NaN when invalid. */
export function parseDurationMs(text: string): number {
  const s = String(text).trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)/y;
  let total = 0;
  let matched = 0;
  while (re.lastIndex < s.length) {
    const m = re.exec(s);
    if (!m) return NaN;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched++;
  }
  return matched > 0 ? total : NaN;
}

/** formatDuration renders milliseconds for people: `850µs`, `12.3ms`, `1.25s`, `2m05s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1) return `${Math.round(ms * 1000)}µs`;
  if (ms < 10) return `${ms.toFixed(2)}ms`;
  if (ms < 1000) return `${ms.toFixed(1)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms - m * 60_000) / 1000);
  return `${m}m${String(s).padStart(2, '0')}s`;
}
