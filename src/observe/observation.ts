/**
 * Observation of the system under test during one profile run: the run's findings, the SUT process racerig
 * starts (if any) and the profile's observers, told about phase boundaries, stopped at the end, and what
 * goes into the result (findings, the SUT's summary, the observers' own data).
 */
import { FindingsCollector } from './findings.js';
import type { Observer, ObserverContext } from './observer.js';
import { SutProcess, type OutputSink } from '../sut/sut-process.js';
import type { Finding, SutResult } from '../results/model.js';

/** ObservationParts are what a run observes: the SUT to start (if any) and the observers. */
export interface ObservationParts {
  sut?: ConstructorParameters<typeof SutProcess>[0];
  observers: Observer[];
}

/** ObservationResult is what the result file takes from the observation. */
export interface ObservationResult {
  findings: Finding[];
  sut?: SutResult;
  observations?: Record<string, unknown>;
}

/** Observation runs the observers and the SUT of one run; every method is called from the main thread, in order. */
export class Observation {
  readonly findings: FindingsCollector;
  private sut: SutProcess | undefined;
  private readonly observers: Observer[];
  private readonly abort = new AbortController();
  private started: Observer[] = [];
  private stopped: Promise<ObservationResult> | undefined;

  constructor(
    findings: FindingsCollector,
    private readonly parts: ObservationParts,
    private readonly say: (line: string) => void,
  ) {
    this.findings = findings;
    this.observers = parts.observers;
  }

  /** active says whether anything observes the SUT (a result then carries findings, [] when none). */
  get active(): boolean {
    return this.parts.sut !== undefined || this.observers.length > 0;
  }

  /** context is what observers get. */
  get context(): ObserverContext {
    return { findings: this.findings, say: this.say, signal: this.abort.signal };
  }

  /** start starts the observers, then the SUT, and resolves once the SUT is ready (rejects with a SutError otherwise). */
  async start(): Promise<void> {
    this.findings.setPhase('startup');
    for (const o of this.observers) {
      await o.start();
      this.started.push(o);
    }
    if (this.parts.sut) {
      this.sut = new SutProcess(this.parts.sut);
      this.say(`racerig: starting the system under test: ${this.parts.sut.argv.join(' ')}\n`);
      await this.sut.start();
      this.say(`racerig: system under test ready after ${this.sut.result().readyMs} ms (output: ${this.parts.sut.logPath})\n`);
    }
  }

  /** phase tells observers about a phase boundary and attributes later findings to the phase. */
  async phase(name: string, at: 'start' | 'end'): Promise<void> {
    if (at === 'start') this.findings.setPhase(name);
    for (const o of this.started) await o.onPhase?.({ phase: name, at });
  }

  /** stop stops the SUT, then the observers (each once; later calls return the same result). */
  stop(): Promise<ObservationResult> {
    this.stopped ??= (async () => {
      this.findings.setPhase('shutdown');
      const sut = this.sut ? await this.sut.stop() : undefined;
      this.abort.abort();
      const observations: Record<string, unknown> = {};
      for (const o of this.started) {
        await o.stop().catch((err: Error) => this.say(`racerig: observer ${o.name}: ${err.message}\n`));
        const data = o.resultData?.();
        if (data) Object.assign(observations, data);
      }
      return {
        findings: this.findings.list(),
        ...(sut ? { sut } : {}),
        ...(Object.keys(observations).length ? { observations } : {}),
      };
    })();
    return this.stopped;
  }
}

export type { OutputSink };
