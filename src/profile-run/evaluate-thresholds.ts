/** Evaluates a profile's thresholds against a run's result. */
import type { RunResult } from '../results/model.js';
import { compare, type Threshold } from '../profile/threshold.js';
import { decodeHistogram, moments, newHistogram } from '../metrics/histogram.js';
import type * as hdr from 'hdr-histogram-js';

/** ThresholdOutcome is one threshold's verdict; `actual` in the threshold's unit (ms, ratio, count, per second). */
export interface ThresholdOutcome {
  expression: string;
  passed: boolean;
  actual?: number;
  /** The unit of `actual` and of the threshold's value. */
  unit: Threshold['unit'];
}

/** evaluateThresholds returns a verdict per threshold; one naming an operation the run did not measure fails with no actual. */
export function evaluateThresholds(thresholds: readonly Threshold[], result: RunResult): ThresholdOutcome[] {
  return thresholds.map((th) => ({ ...evaluateOne(th, result), unit: th.unit }));
}

function evaluateOne(th: Threshold, result: RunResult): Omit<ThresholdOutcome, 'unit'> {
  {
    if (th.stat === 'findings') {
      // No observer ran: nothing was checked, so the threshold cannot pass.
      if (!result.findings) return { expression: th.source, passed: false };
      const actual = result.findings.filter((f) => th.operation === undefined || f.kind === th.operation).reduce((a, f) => a + f.count, 0);
      return { expression: th.source, passed: compare(th.comparator, actual, th.value), actual };
    }
    const lifecycle = th.operation === undefined ? undefined : result.lifecycles?.find((l) => l.name === th.operation);
    if (lifecycle && th.unit === 'ms') {
      const h = decodeHistogram(lifecycle.latencyUs.hdr);
      if (h.totalCount === 0) return { expression: th.source, passed: false };
      return { expression: th.source, ...latencyVerdict(th, h) };
    }
    const ops = th.operation === undefined ? result.operations : result.operations.filter((o) => o.name === th.operation);
    if (ops.length === 0) return { expression: th.source, passed: false };
    const requests = ops.reduce((a, o) => a + o.requests, 0);
    const errors = ops.reduce((a, o) => a + o.errors, 0);
    const dropped = ops.reduce((a, o) => a + o.dropped, 0);
    let actual: number;
    switch (th.stat) {
      case 'errors':
        actual = th.unit === 'ratio' ? (requests ? errors / requests : 0) : errors;
        break;
      case 'dropped':
        actual = th.unit === 'ratio' ? (requests + dropped ? dropped / (requests + dropped) : 0) : dropped;
        break;
      case 'count':
        actual = requests;
        break;
      case 'rate':
        actual = requests / Math.max(result.durationSeconds, 1e-9);
        break;
      default: {
        const h = newHistogram();
        for (const o of ops) h.add(decodeHistogram(o.latencyUs.hdr));
        if (h.totalCount === 0) return { expression: th.source, passed: false };
        return { expression: th.source, ...latencyVerdict(th, h) };
      }
    }
    return { expression: th.source, passed: compare(th.comparator, actual, th.value), actual: Math.round(actual * 1e6) / 1e6 };
  }
}

function latencyVerdict(th: Threshold, h: hdr.Histogram): { passed: boolean; actual: number } {
  const us = th.stat === 'percentile' ? h.getValueAtPercentile(th.percentile!) : th.stat === 'min' ? h.getValueAtPercentile(0) : th.stat === 'max' ? h.getValueAtPercentile(100) : moments(h).mean;
  const ms = us / 1000;
  return { passed: compare(th.comparator, ms, th.value), actual: Math.round(ms * 1e6) / 1e6 };
}
