/**
 * The live view of a run. On a terminal: one panel redrawn in place every second. Otherwise: one
 * plain line every few seconds. Quiet: nothing. Called on the main thread only, never per request.
 */
import type { Writable } from '../cli/context.js';
import type { EngineTick } from '../engine/engine.js';
import { fmtInt, fmtRate, fmtUs } from './format.js';
import { formatDuration } from '../engine/duration.js';

/** LiveViewOptions configure the live view. */
export interface LiveViewOptions {
  out: Writable;
  quiet: boolean;
  title: string;
  /** Planned duration, ms (Infinity when bounded by request count only). */
  durationMs: number;
  /** Seconds between plain lines when the output is not a terminal. */
  plainEverySeconds?: number;
  /** Findings so far by kind (e.g. "race ×3, exit ×1"), shown when there are any. */
  findings?: () => string | undefined;
}

/** LiveView renders engine ticks. */
export class LiveView {
  private drawnLines = 0;
  private ticks = 0;

  constructor(private readonly o: LiveViewOptions) {}

  /** update renders one tick. */
  update(t: EngineTick): void {
    if (this.o.quiet) return;
    this.ticks++;
    const totals = t.total.totals();
    const iv = t.interval.totals();
    const rate = t.intervalMs > 0 ? (iv.requests * 1000) / t.intervalMs : 0;
    // Watch events (profile watch steps), counted in the shared metrics like requests.
    const events = t.total.watchEvents();
    const eventRate = t.intervalMs > 0 ? (t.interval.watchEvents() * 1000) / t.intervalMs : 0;
    const open = Number.isFinite(t.targetRate);
    const target = open ? fmtRate(t.targetRate) : 'closed';
    // Requests in flight, and (runs with watches, followed logs, exec sessions) the streams open.
    const streams = Object.keys(t.total.layout.streams).length > 0;
    const flying = `${fmtInt(t.total.inFlight)}${streams ? ` requests, ${fmtInt(t.total.openStreams)} streams open` : ''}`;
    const elapsed = formatDuration(t.elapsedMs);
    const total = Number.isFinite(this.o.durationMs) ? formatDuration(this.o.durationMs) : '∞';
    if (this.o.out.isTTY) {
      const width = Math.max(10, Math.min(30, (this.o.out.columns ?? 80) - 60));
      const frac = Number.isFinite(this.o.durationMs) ? Math.min(1, t.elapsedMs / this.o.durationMs) : 0;
      const filled = Math.round(frac * width);
      const lines = [
        `racerig ▸ ${this.o.title}  [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${elapsed} / ${total}`,
        `  rate     ${open ? `target ${target}` : 'closed model'}  achieved ${fmtRate(rate)}  in flight ${flying}  dropped ${fmtInt(totals.dropped)}`,
        `  last 1s  p50 ${fmtUs(t.point.p50)}  p99 ${fmtUs(t.point.p99)}  errors ${fmtInt(iv.errors)}   total ${fmtInt(totals.requests)} requests, ${fmtInt(totals.errors)} errors`,
      ];
      if (events > 0) lines.push(`  watch    ${fmtRate(eventRate)} events  total ${fmtInt(events)} events`);
      const found = this.o.findings?.();
      if (found) lines.push(`  findings ${found}`);
      let s = this.drawnLines > 0 ? `\x1b[${this.drawnLines}F` : '';
      for (const l of lines) s += `\x1b[2K${l}\n`;
      this.o.out.write(s);
      this.drawnLines = lines.length;
      return;
    }
    const every = this.o.plainEverySeconds ?? 5;
    if (this.ticks % every !== 0) return;
    this.o.out.write(
      `[${elapsed}/${total}] rate ${fmtRate(rate)} (${open ? `target ${target}` : 'closed model'})  in flight ${flying}  ` +
        `p50 ${fmtUs(t.point.p50)}  p99 ${fmtUs(t.point.p99)}  requests ${fmtInt(totals.requests)}  errors ${fmtInt(totals.errors)}  dropped ${fmtInt(totals.dropped)}` +
        (events > 0 ? `  watch events ${fmtInt(events)} (${fmtRate(eventRate)})` : '') +
        (this.o.findings?.() ? `  findings ${this.o.findings()}` : '') +
        '\n',
    );
  }

  /**
   * setup shows what the run is doing before its first tick (starting the mock, creating setup objects,
   * starting workers), so the first seconds do not look hung: on a terminal one line redrawn in place
   * (the panel replaces it), otherwise a plain line per distinct step.
   */
  setup(step: string): void {
    if (this.o.quiet || step === this.lastSetup) return;
    this.lastSetup = step;
    const line = `racerig ▸ ${this.o.title}  ${step}`;
    if (this.o.out.isTTY) {
      this.o.out.write(`${this.drawnLines > 0 ? `\x1b[${this.drawnLines}F` : ''}\x1b[2K${line}\n`);
      this.drawnLines = 1;
      return;
    }
    this.o.out.write(`${line}\n`);
  }
  private lastSetup: string | undefined;

  /** note prints a line above the panel (a finding as it arrives); the panel is drawn again below it at the next tick. */
  note(line: string): void {
    if (this.o.quiet) return;
    if (this.o.out.isTTY && this.drawnLines > 0) {
      this.o.out.write(`\x1b[${this.drawnLines}F\x1b[J${line}`);
      this.drawnLines = 0;
      return;
    }
    this.o.out.write(line);
  }

  /** close leaves the panel on screen and moves below it. */
  close(): void {
    this.drawnLines = 0;
  }
}
