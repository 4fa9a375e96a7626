/** ExitCode lists every documented process exit code of racerig (mirrored in README.md). */
export enum ExitCode {
  /** The command did what it was asked and every check passed. */
  Ok = 0,
  /** An unexpected internal error (a bug): please report it. */
  Internal = 1,
  /** Invalid command-line flags or arguments; nothing was started. */
  Usage = 2,
  /** A profile failed to load or validate; every problem is listed with file:line:column. */
  ProfileInvalid = 3,
  /** The target could not be used: every request of the run failed at the transport level, or setup failed. */
  TargetFailed = 4,
  /** The run's own counts disagree with the embedded mock server's /metrics (integrity check). */
  IntegrityMismatch = 5,
  /** The system under test (`--sut`, a profile's `sut:`) could not be started or did not become ready in time. */
  SutFailed = 6,
  /** `racerig cluster`, `--cluster`: kind is not installed, or its container runtime (Docker, Podman) is not running. */
  ClusterUnavailable = 7,
  /** A kind or deploy step failed: the cluster already exists or is missing, an image is not present locally, a manifest was refused. */
  ClusterFailed = 8,
  /** A kind command or a rollout did not finish in time (the kind process group was killed; the pods' states were printed). */
  ClusterTimeout = 9,
  /** `compare --fail-on` found a regression. */
  Regression = 10,
  /** A worker thread failed during the run; the result (marked partial, `stoppedBy: "worker failure"`) holds what the others measured. */
  WorkerFailed = 11,
  /** The run sent no request: every planned arrival was dropped (the generator could not keep up, or the run was stopped before any started). */
  NothingSent = 12,
  /** The result (or `--hgrm`) could not be written where asked; it was written to the fallback location printed on stderr. */
  OutputFallback = 13,
  /** One or more thresholds failed. */
  ThresholdsFailed = 99,
  /** The run was interrupted (Ctrl-C / SIGINT, SIGTERM or SIGHUP); partial results were written. */
  Interrupted = 130,
}
