/**
 * Maps what kind printed when it failed to racerig errors with stable codes, hints and exit codes. The
 * patterns are kind's own wording (sigs.k8s.io/kind: cmd/kind/app/main.go prints `ERROR: <err>` and, for
 * a failed runtime command, `Command Output: <its output>`), and the container runtimes' messages kind
 * passes on.
 */
import { ClusterError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';

/** CLUSTER_CODES are the stable error codes of `racerig cluster` and `--cluster`. */
export const CLUSTER_CODES = {
  kindNotInstalled: 'RACERIG_CLUSTER_KIND_NOT_INSTALLED',
  runtimeDown: 'RACERIG_CLUSTER_RUNTIME_DOWN',
  exists: 'RACERIG_CLUSTER_EXISTS',
  missing: 'RACERIG_CLUSTER_MISSING',
  imageMissing: 'RACERIG_CLUSTER_IMAGE_MISSING',
  kindFailed: 'RACERIG_CLUSTER_KIND_FAILED',
  applyFailed: 'RACERIG_CLUSTER_APPLY_FAILED',
  timeout: 'RACERIG_CLUSTER_TIMEOUT',
  interrupted: 'RACERIG_CLUSTER_INTERRUPTED',
} as const;

/** INSTALL_KIND_HINT says how to install kind. */
export const INSTALL_KIND_HINT =
  'install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation): `go install sigs.k8s.io/kind@latest`, ' +
  '`brew install kind`, or the release binary (curl -Lo ./kind https://kind.sigs.k8s.io/dl/latest/kind-linux-amd64 && chmod +x ./kind && sudo mv ./kind /usr/local/bin/kind); ' +
  'it also needs Docker or Podman (KIND_EXPERIMENTAL_PROVIDER=podman)';

/** kindNotInstalled is the error for a `kind` that is not on PATH. */
export function kindNotInstalled(cause?: unknown): ClusterError {
  return new ClusterError(CLUSTER_CODES.kindNotInstalled, 'kind is not installed (no `kind` executable on PATH)', { hint: INSTALL_KIND_HINT, exitCode: ExitCode.ClusterUnavailable, cause });
}

/** RUNTIME_DOWN matches a container runtime that kind could not talk to (Docker's, Podman's and kind's own wording). */
const RUNTIME_DOWN = [
  /Cannot connect to the Docker daemon/i,
  /Is the docker daemon running\?/i,
  /Cannot connect to Podman/i,
  /failed to detect any supported node provider/,
  /executable file not found in \$PATH/,
  /error during connect: .*docker/i,
  /permission denied while trying to connect to the Docker daemon socket/i,
];

/** errorLine returns kind's `ERROR: …` line (without the prefix), else the last non-empty line of its stderr. */
export function errorLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trim()).filter(Boolean);
  const err = lines.find((l) => l.startsWith('ERROR: '));
  return err ? err.slice('ERROR: '.length) : (lines[lines.length - 1] ?? '');
}

/** kindFailure turns a failed kind command (its arguments, exit code and stderr) into a ClusterError. */
export function kindFailure(args: readonly string[], exitCode: number | undefined, stderr: string, cluster: string): ClusterError {
  const text = stderr.replace(/\x1b\[[0-9;]*m/g, '');
  const line = errorLine(text);
  const what = `kind ${args.join(' ')}`;
  let m: RegExpMatchArray | null;
  if ((m = text.match(/node\(s\) already exist for a cluster with the name "([^"]*)"/))) {
    return new ClusterError(CLUSTER_CODES.exists, `a kind cluster named "${m[1]}" already exists`, {
      hint: `use it as it is (racerig run … --cluster ${m[1]}), delete it first (racerig cluster delete --name ${m[1]}), or choose another --name`,
      exitCode: ExitCode.ClusterFailed,
    });
  }
  if (RUNTIME_DOWN.some((re) => re.test(text))) {
    const podman = /podman/i.test(text);
    return new ClusterError(CLUSTER_CODES.runtimeDown, `kind cannot reach its container runtime: ${line}`, {
      hint: podman
        ? 'start Podman (podman machine start, or systemctl --user start podman.socket) and retry'
        : 'start Docker (systemctl start docker, or Docker Desktop) and retry; to use Podman instead set KIND_EXPERIMENTAL_PROVIDER=podman',
      exitCode: ExitCode.ClusterUnavailable,
    });
  }
  if (
    (m = text.match(/could not locate any control plane nodes for cluster named '([^']*)'/)) ||
    (m = text.match(/no nodes found for cluster "([^"]*)"/)) ||
    (m = text.match(/unknown cluster "([^"]*)"/))
  ) {
    return clusterMissing(m[1] ?? cluster);
  }
  if ((m = text.match(/image: "([^"]*)" not present locally/))) {
    return new ClusterError(CLUSTER_CODES.imageMissing, `image ${m[1]} is not present locally`, {
      hint: `build or pull it first (docker build -t ${m[1]} . / docker pull ${m[1]}; with Podman: podman build or podman pull), or load a saved image with --archive <file.tar>`,
      exitCode: ExitCode.ClusterFailed,
    });
  }
  return new ClusterError(CLUSTER_CODES.kindFailed, `${what} failed${exitCode !== undefined ? ` (exit code ${exitCode})` : ''}: ${line || '(no output)'}`, {
    hint: 'the lines prefixed "kind|" above are kind\'s own output',
    exitCode: ExitCode.ClusterFailed,
  });
}

/** clusterMissing is the error for a kind cluster that does not exist. */
export function clusterMissing(name: string): ClusterError {
  return new ClusterError(CLUSTER_CODES.missing, `there is no kind cluster named "${name}"`, {
    hint: `racerig cluster list shows the clusters; racerig cluster create --name ${name} makes one`,
    exitCode: ExitCode.ClusterFailed,
  });
}

/** clusterTimeout is the error for a step that did not finish within `ms`. */
export function clusterTimeout(what: string, ms: number, hint?: string): ClusterError {
  return new ClusterError(CLUSTER_CODES.timeout, `${what} did not finish within ${formatMs(ms)}`, { ...(hint ? { hint } : {}), exitCode: ExitCode.ClusterTimeout });
}

/** clusterInterrupted is the error for a step stopped by Ctrl-C (exit code 130). */
export function clusterInterrupted(what: string): ClusterError {
  return new ClusterError(CLUSTER_CODES.interrupted, `${what} interrupted`, { exitCode: ExitCode.Interrupted });
}

/** formatMs prints a duration in ms as kind and kubectl do (`90s`, `3m0s`, `500ms`). */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
}
