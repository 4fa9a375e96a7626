/** HdrHistogram percentile-distribution text (".hgrm", as wrk2 and HdrHistogram print it), values in ms. */
import type { RunResult } from '../results/model.js';
import { decodeHistogram } from '../metrics/histogram.js';

/** renderHgrm prints the percentile distribution of one operation's corrected latency (ms), or of every operation. */
export function renderHgrm(result: RunResult, operation?: string, which: 'corrected' | 'uncorrected' = 'corrected'): string {
  const ops = operation === undefined ? result.operations : result.operations.filter((o) => o.name === operation);
  if (ops.length === 0) {
    throw new Error(`no operation named "${operation}" (operations: ${result.operations.map((o) => o.name).join(', ')})`);
  }
  return ops
    .map((op) => {
      const h = decodeHistogram(which === 'corrected' ? op.latencyUs.hdr : op.uncorrectedLatencyUs.hdr);
      const header = ops.length > 1 || operation === undefined ? `# ${op.name} (${which} latency, milliseconds)\n` : '';
      return header + h.outputPercentileDistribution(5, 1000);
    })
    .join('\n');
}
