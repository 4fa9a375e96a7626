/**
 * Observation of the system under test during one profile run: the run's findings, the SUT process racerig
 * starts (if any) and the profile's observers, told about phase boundaries, stopped at the end, and what
 * goes into the result (findings, the SUT's summary, the observers' own data).
 */
import { FindingsCollector } from './findings.js';
import type { Observer } from './observer.js';
import { SutProcess, type OutputSink } from '../sut/sut-process.js';
import type { Finding, SutResult } from '../results/model.js';

/** ObservationParts are what a run observes: the SUT to start (if any), the observers, and what ends them. */
export interface ObservationParts {
  sut?: ConstructorParameters<typeof SutProcess>[0];
  observers: Observer[];
  /** Aborted when observation stops (the observers' context signal). */
  abort: AbortController;
  /** Releases what the observers shared (connections), after they stopped. */
  close?: () => Promise<void>;
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
  private started: Observer[] = [];
  private stopped: Promise<ObservationResult> | undefined;

  constructor(
    findings: FindingsCollector,
    private readonly parts: ObservationParts,
    private readonly say: (line: string) => void,
  ) {
    this.findings = findings;
  }

  /** start starts the SUT (resolving once it is ready; a SutError otherwise), then the observers (which may read the SUT, e.g. its metrics). */
  async start(): Promise<void> {
    this.findings.setPhase('startup');
    if (this.parts.sut) {
      this.sut = new SutProcess(this.parts.sut);
      this.say(`racerig: starting the system under test: ${this.parts.sut.argv.join(' ')}\n`);
      await this.sut.start();
      this.say(`racerig: system under test ready after ${this.sut.result().readyMs} ms (output: ${this.parts.sut.logPath})\n`);
    }
    for (const o of this.parts.observers) {
      await o.start();
      this.started.push(o);
    }
  }

  /** phase tells observers about a phase boundary and attributes later findings to the phase. */
  async phase(name: string, at: 'start' | 'end'): Promise<void> {
    if (at === 'start') this.findings.setPhase(name);
    for (const o of this.started) await o.onPhase?.({ phase: name, at }).catch((err: Error) => this.say(`racerig: observer ${o.name}: ${err.message}\n`));
  }

  /** stop stops the observers (their last look, e.g. a final metrics scrape, while the SUT still runs), then the SUT (each once; later calls return the same result). */
  stop(): Promise<ObservationResult> {
    this.stopped ??= (async () => {
      this.findings.setPhase('shutdown');
      const observations: Record<string, unknown> = {};
      for (const o of this.started) {
        await o.stop().catch((err: Error) => this.say(`racerig: observer ${o.name}: ${err.message}\n`));
        const data = o.resultData?.();
        if (data) Object.assign(observations, data);
      }
      this.parts.abort.abort();
      await this.parts.close?.().catch(() => {});
      const sut = this.sut ? await this.sut.stop() : undefined;
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
