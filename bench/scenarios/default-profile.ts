/**
 * The default profile on the embedded mock: operations/s of `racerig run argo-multi-component` (what
 * `npm start` runs), as shipped in the full suite and with `--smoke` in the quick one.
 */
import { runRacerig } from '../tools/racerig.js';
import { ms, num, table } from '../report/markdown.js';
import type { Scenario } from './scenario.js';

/** DEFAULT_PROFILE is the profile `npm start` runs. */
export const DEFAULT_PROFILE = 'argo-multi-component';

/** defaultProfile runs the default profile once and tabulates every operation. */
export const defaultProfile: Scenario = async (ctx) => {
  const flags = ctx.quick ? ['--smoke', '-q'] : ['-q'];
  const body: string[] = [];
  const commands: string[] = [];
  let raw: unknown;
  if (!ctx.tools.some((t) => t.name === 'racerig')) {
    body.push('racerig is not built, so the profile was not run.');
  } else {
    ctx.log(`default profile: racerig run ${DEFAULT_PROFILE} ${flags.join(' ')}`);
    try {
      const { result, measured, command } = await runRacerig(DEFAULT_PROFILE, flags, 180_000);
      raw = { totals: result.totals, durationSeconds: result.durationSeconds, operations: result.operations.map(({ name, requests, errors, achievedRate }) => ({ name, requests, errors, achievedRate })) };
      commands.push(command);
      ctx.log(`  ${DEFAULT_PROFILE}: ${num(result.totals.achievedRate)} operations/s over ${num(result.durationSeconds, 1)} s, cpu ${num(measured.cpuSeconds, 2)} s`);
      body.push(
        `All operations together: **${num(result.totals.achievedRate, 1)} operations/s** (${num(result.totals.requests)} in ${num(result.durationSeconds, 1)} s, ${num(result.totals.errors)} errors, ${num(result.totals.dropped)} dropped); racerig used ${num(measured.cpuSeconds, 2)} CPU s and ${num(measured.peakRssMb)} MiB peak RSS, mock included (it runs embedded).`,
        table(
          ['operation', 'requests', 'ops/s', 'p50 ms', 'p99 ms', 'errors'],
          result.operations.map((o) => [o.name, num(o.requests), num(o.achievedRate, 1), ms(o.latencyUs.p50 / 1000), ms(o.latencyUs.p99 / 1000), num(o.errors)]),
        ),
      );
    } catch (err) {
      const message = (err as Error).message.split('\n').slice(0, 6).join(' / ');
      ctx.log(`  ${DEFAULT_PROFILE}: FAILED: ${message}`);
      ctx.failures.push(`racerig run ${DEFAULT_PROFILE}: ${message}`);
    }
  }
  return {
    id: 'profile',
    title: `Default profile (${DEFAULT_PROFILE}) on the embedded mock`,
    body: [
      `\`racerig run ${DEFAULT_PROFILE}${ctx.quick ? ' --smoke' : ''}\`: the profile \`npm start\` runs${ctx.quick ? ', shortened by --smoke' : ', as shipped'}, against the embedded mock API server in the same process. Its rate is set by the profile, so this is the profile's throughput, not a peak.`,
      ...body,
    ],
    commands,
    checks: [],
    raw,
  };
};
