/** kindFailure recognises kind's own messages (and the runtimes' it passes on); rolloutState judges as kubectl rollout status does. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kindFailure, CLUSTER_CODES } from './kind-errors.js';
import { rolloutState } from './rollout.js';
import { ExitCode } from '../exit-codes.js';

test('kindFailure: each of kind\'s messages maps to its code and exit code', () => {
  const cases: [string, string, ExitCode][] = [
    ['ERROR: failed to create cluster: node(s) already exist for a cluster with the name "racerig"\n', CLUSTER_CODES.exists, ExitCode.ClusterFailed],
    [`ERROR: failed to create cluster: failed to list nodes: command "docker ps -a --filter label=io.x-k8s.kind.cluster=racerig --format '{{.Names}}'" failed with error: exit status 1\n\nCommand Output: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n`, CLUSTER_CODES.runtimeDown, ExitCode.ClusterUnavailable],
    ['\x1b[31mERROR\x1b[0m: failed to list nodes: command "podman ps" failed with error: exit status 125\n\x1b[31mCommand Output\x1b[0m: Cannot connect to Podman. Please verify your connection\n', CLUSTER_CODES.runtimeDown, ExitCode.ClusterUnavailable],
    ["ERROR: could not locate any control plane nodes for cluster named 'x'. Use the --name option to select a different cluster\n", CLUSTER_CODES.missing, ExitCode.ClusterFailed],
    ['ERROR: no nodes found for cluster "x"\n', CLUSTER_CODES.missing, ExitCode.ClusterFailed],
    ['ERROR: unknown cluster "x"\n', CLUSTER_CODES.missing, ExitCode.ClusterFailed],
    ['ERROR: image: "ctl:a" not present locally\n', CLUSTER_CODES.imageMissing, ExitCode.ClusterFailed],
    ['ERROR: failed to create cluster: failed to init node with kubeadm\n', CLUSTER_CODES.kindFailed, ExitCode.ClusterFailed],
  ];
  for (const [stderr, code, exit] of cases) {
    const e = kindFailure(['create', 'cluster'], 1, stderr, 'x');
    assert.equal(e.code, code, stderr);
    assert.equal(e.exitCode, exit, stderr);
    assert.ok(e.hint, `${code} has a hint`);
  }
  assert.match(kindFailure(['x'], 1, 'ERROR: failed to create cluster: failed to init node with kubeadm\n', 'x').message, /failed to init node with kubeadm/);
});

test('rolloutState: observed generation, updated, old pending termination, available, done, deadline exceeded', () => {
  const d = (generation: number, status: object, replicas = 2) => ({ metadata: { name: 'c', generation }, spec: { replicas }, status });
  assert.match(rolloutState(d(2, { observedGeneration: 1 })).message, /spec update to be observed/);
  assert.match(rolloutState(d(1, { observedGeneration: 1, updatedReplicas: 1 })).message, /1 out of 2 new replicas have been updated/);
  assert.match(rolloutState(d(1, { observedGeneration: 1, updatedReplicas: 2, replicas: 3 })).message, /1 old replicas are pending termination/);
  assert.match(rolloutState(d(1, { observedGeneration: 1, updatedReplicas: 2, replicas: 2, availableReplicas: 1 })).message, /1 of 2 updated replicas are available/);
  assert.equal(rolloutState(d(1, { observedGeneration: 1, updatedReplicas: 2, replicas: 2, availableReplicas: 2 })).done, true);
  assert.equal(rolloutState(d(1, { observedGeneration: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] })).failed, true);
});
