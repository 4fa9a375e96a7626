/**
 * Reading result files: JSON parsing, the schema version check, and the shape checks a comparison
 * relies on. Older schema versions would be upgraded here; `racerig/result@1` is the first.
 */
import { readFile } from 'node:fs/promises';
import { RacerigError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { RESULT_SCHEMA, type RunResult } from './model.js';
import { decodeHistogram } from '../metrics/histogram.js';

/** RESULT_SCHEMA_PREFIX is what every racerig result schema identifier starts with, followed by its version number. */
export const RESULT_SCHEMA_PREFIX = 'racerig/result@';

/** LoadedResult is a result file's content and where it was read from. */
export interface LoadedResult {
  /** Path the result was read from (as given or as found in a folder). */
  file: string;
  result: RunResult;
}

/** ResultFileError reports a file that is not a racerig result, or one of a version this racerig cannot read (exit code 2). */
export class ResultFileError extends RacerigError {
  constructor(code: string, message: string, hint?: string) {
    super(code, message, { hint, exitCode: ExitCode.Usage });
    this.name = 'ResultFileError';
  }
}

/** schemaVersion returns the version number of a `racerig/result@N` identifier, or undefined for anything else. */
export function schemaVersion(schema: unknown): number | undefined {
  if (typeof schema !== 'string' || !schema.startsWith(RESULT_SCHEMA_PREFIX)) return undefined;
  const v = Number(schema.slice(RESULT_SCHEMA_PREFIX.length));
  return Number.isInteger(v) && v > 0 ? v : undefined;
}

/** isResultDocument tells whether parsed JSON claims to be a racerig result of any version. */
export function isResultDocument(doc: unknown): boolean {
  return typeof doc === 'object' && doc !== null && schemaVersion((doc as { schema?: unknown }).schema) !== undefined;
}

/** parseResult validates parsed JSON as a result file named `file`, upgrading older versions, and throws ResultFileError otherwise. */
export function parseResult(doc: unknown, file: string): RunResult {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ResultFileError('RACERIG_RESULT_INVALID', `${file}: not a racerig result file (expected a JSON object)`);
  }
  const schema = (doc as { schema?: unknown }).schema;
  const version = schemaVersion(schema);
  const current = schemaVersion(RESULT_SCHEMA)!;
  if (version === undefined) {
    throw new ResultFileError(
      'RACERIG_RESULT_INVALID',
      `${file}: not a racerig result file (schema is ${JSON.stringify(schema ?? null)}, expected "${RESULT_SCHEMA}")`,
      'result files are written by `racerig run`',
    );
  }
  if (version > current) {
    throw new ResultFileError(
      'RACERIG_RESULT_VERSION',
      `${file}: result schema "${schema}" is newer than this racerig reads ("${RESULT_SCHEMA}")`,
      'upgrade racerig to read it (npm install -g racerig@latest)',
    );
  }
  const r = doc as RunResult;
  const problems: string[] = [];
  if (!Array.isArray(r.operations)) problems.push('operations is not an array');
  else {
    r.operations.forEach((op, i) => {
      if (typeof op?.name !== 'string') problems.push(`operations[${i}].name is missing`);
      if (typeof op?.latencyUs?.hdr !== 'string') problems.push(`operations[${i}].latencyUs.hdr is missing`);
      else checkHdr(op.latencyUs.hdr, `operations[${i}].latencyUs.hdr`, problems);
      const unc = (op as { uncorrectedLatencyUs?: { hdr?: unknown } })?.uncorrectedLatencyUs?.hdr;
      if (unc !== undefined) checkHdr(unc, `operations[${i}].uncorrectedLatencyUs.hdr`, problems);
    });
  }
  const series = (doc as { timeSeries?: unknown }).timeSeries;
  if (series !== undefined && series !== null) {
    if (!Array.isArray(series)) problems.push(`timeSeries is not an array (found ${typeof series})`);
    else {
      const bad = series.findIndex((p) => typeof p !== 'object' || p === null || typeof (p as { t?: unknown }).t !== 'number');
      if (bad >= 0) problems.push(`timeSeries[${bad}] is not a point with a time t`);
    }
  }
  const lifecycles = (doc as { lifecycles?: unknown }).lifecycles;
  if (Array.isArray(lifecycles)) {
    lifecycles.forEach((lc: { latencyUs?: { hdr?: unknown } } | null, i) => {
      if (lc?.latencyUs?.hdr !== undefined) checkHdr(lc.latencyUs.hdr, `lifecycles[${i}].latencyUs.hdr`, problems);
    });
  }
  if (typeof r.totals !== 'object' || r.totals === null) problems.push('totals is missing');
  if (typeof r.name !== 'string') problems.push('name is missing');
  if (problems.length > 0) {
    throw new ResultFileError('RACERIG_RESULT_INVALID', `${file}: malformed ${RESULT_SCHEMA} result:\n  ${problems.join('\n  ')}`);
  }
  return { ...r, labels: r.labels ?? {}, timeSeries: r.timeSeries ?? [], config: r.config ?? {} };
}

/** checkHdr adds a problem when `value` is not a compressed HdrHistogram (base64) that decodes. */
function checkHdr(value: unknown, field: string, problems: string[]): void {
  if (typeof value !== 'string') {
    problems.push(`${field} is not a string`);
    return;
  }
  try {
    decodeHistogram(value);
  } catch (err) {
    problems.push(`${field} is not a compressed HdrHistogram (${(err as Error).message.split('\n')[0]})`);
  }
}

/** readResultFile reads and validates one result file. */
export async function readResultFile(file: string): Promise<LoadedResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ResultFileError('RACERIG_RESULT_UNREADABLE', `${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ResultFileError('RACERIG_RESULT_INVALID', `${file}: not JSON: ${(err as Error).message}`);
  }
  return { file, result: parseResult(doc, file) };
}
