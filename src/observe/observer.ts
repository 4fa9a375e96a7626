/**
 * Observer is one watcher of the system under test (its log output, its pods, its metrics). The run starts
 * observers before the first phase, tells them when phases start and end, and stops them after the last;
 * they report what they see into the run's FindingsCollector as it happens.
 */
import type { FindingsCollector } from './findings.js';

/** ObserverContext is what an observer gets from the run. */
export interface ObserverContext {
  /** Where occurrences go (deduplicated there). */
  findings: FindingsCollector;
  /** One line for the user (stderr-style progress); ends with a newline. */
  say(line: string): void;
  /** Aborted when the run stops; observers end their streams then. */
  signal: AbortSignal;
}

/** PhaseEvent marks a phase boundary: `at: 'start'` before its first request, `'end'` after its last. */
export interface PhaseEvent {
  phase: string;
  at: 'start' | 'end';
}

/** Observer is started once, told about phase boundaries in order, and stopped once (stop is idempotent). */
export interface Observer {
  /** Short name for messages, e.g. "sut log", "pod logs app=argo". */
  readonly name: string;
  start(): Promise<void>;
  /** Called at each phase boundary; resolves when the observer has taken what it needs (e.g. a metrics scrape). */
  onPhase?(event: PhaseEvent): Promise<void>;
  /** Ends the observation; after it resolves the observer reports nothing more. */
  stop(): Promise<void>;
  /** Extra result data the observer measured (e.g. per-phase metric deltas), keyed by observer; undefined if none. */
  resultData?(): Record<string, unknown> | undefined;
}
