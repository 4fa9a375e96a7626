/**
 * The mock's promises to real clients, one line each: what a user does, what the mock guarantees, and
 * which clients check it (k = every installed kubectl, n = @kubernetes/client-node, p = Debian's
 * python3-kubernetes). The conformance tests in this folder run these checks through those clients;
 * README.md beside this file shows the same table (a test keeps the two equal).
 */

/** Check is one promise of the mock, checked through the clients it names. */
export interface Check {
  id: string;
  /** What a user types or does. */
  does: string;
  /** What the mock promises in return. */
  promise: string;
  /** Clients that check it: k kubectl, n client-node, p python. */
  clients: string;
}

/** CHECKS is the conformance table, in the order of harm of what they guard. */
export const CHECKS: Check[] = [
  { id: 'dry-run-create', does: 'create a ConfigMap with server dry-run', promise: 'the answer is the object; nothing is stored', clients: 'knp' },
  { id: 'dry-run-delete', does: 'delete a ConfigMap with server dry-run', promise: 'the ConfigMap is still there', clients: 'knp' },
  { id: 'dry-run-delete-all', does: 'delete every ConfigMap of a namespace with server dry-run', promise: 'all of them are still there', clients: 'knp' },
  { id: 'dry-run-delete-cascade', does: 'delete a Deployment in the foreground with server dry-run', promise: 'the Deployment and its pods stay', clients: 'k' },
  { id: 'dry-run-delete-namespace', does: 'delete a namespace with server dry-run', promise: 'the namespace stays Active', clients: 'k' },
  { id: 'dry-run-delete-body', does: 'delete with dryRun in the DeleteOptions body', promise: 'the object is still there', clients: 'np' },
  { id: 'dry-run-apply', does: 'kubectl apply --dry-run=server a changed ConfigMap', promise: 'the change is shown, the stored object is unchanged', clients: 'k' },
  { id: 'dry-run-server-side-apply', does: 'kubectl apply --server-side --dry-run=server', promise: 'the change is shown, the stored object is unchanged', clients: 'k' },
  { id: 'diff', does: 'kubectl diff a changed ConfigMap', promise: 'the diff shows the changed value', clients: 'k' },
  { id: 'dry-run-patch', does: 'patch with server dry-run', promise: 'the whole patched object comes back; nothing is stored', clients: 'knp' },
  { id: 'dry-run-replace', does: 'replace with server dry-run', promise: 'the whole new object comes back; nothing is stored', clients: 'k' },
  { id: 'dry-run-bad-value', does: 'send dryRun=Maybe', promise: 'refused (422 Invalid: supported values: "All")', clients: 'np' },
  { id: 'field-manager-too-long', does: 'write with a fieldManager of 129 characters', promise: 'refused (Too long: may not be more than 128)', clients: 'knp' },
  { id: 'watch', does: 'watch ConfigMaps (python sends watch=True)', promise: 'a watch stream with ADDED and MODIFIED events', clients: 'knp' },
  { id: 'list-chunks', does: 'list in pages (limit and continue)', promise: 'every object exactly once', clients: 'knp' },
  { id: 'list-exact', does: 'list with resourceVersion=N and resourceVersionMatch=Exact', promise: 'the list as it was at N', clients: 'knp' },
  { id: 'list-match-needs-rv', does: 'list with resourceVersionMatch but no resourceVersion', promise: 'refused (422 Invalid)', clients: 'np' },
  { id: 'too-new-resource-version', does: 'list at a resourceVersion the server has not reached', promise: '504 "Too large resource version" with a retry hint', clients: 'np' },
  { id: 'pretty', does: 'GET with pretty=true', promise: 'indented JSON', clients: 'k' },
  { id: 'patch', does: 'merge-patch a label', promise: 'the label is set', clients: 'knp' },
  { id: 'logs', does: 'read a running pod\'s logs', promise: 'the container\'s output', clients: 'knp' },
  { id: 'custom-objects', does: 'create a CRD, then create and list its objects', promise: 'the custom object is served', clients: 'knp' },
  { id: 'apply', does: 'kubectl apply a ConfigMap twice', promise: 'created, then unchanged (every kubectl version, 1.27 reads /openapi/v2)', clients: 'k' },
  { id: 'explain', does: 'kubectl explain pod.spec.containers.image and deployment.spec', promise: 'the real type and description', clients: 'k' },
  { id: 'openapi', does: 'fetch /openapi/v2 and /openapi/v3/api/v1 gzip-compressed', promise: 'compressed documents with the Pod schema; asked again with the ETag, 304', clients: 'n' },
  { id: 'namespace-finalizers', does: 'delete a namespace holding an object with a finalizer', promise: 'Terminating with NamespaceFinalizersRemaining until the finalizer goes, then gone', clients: 'k' },
  { id: 'secret-string-data', does: 'create a Secret with stringData', promise: 'data holds the base64 value, stringData is gone', clients: 'knp' },
  { id: 'service-defaults', does: 'create a Service with only ports and a selector', promise: 'type ClusterIP, sessionAffinity None, a clusterIP', clients: 'kn' },
  { id: 'pod-immutable', does: 'change a pod\'s image, then add a container', promise: 'the image changes; the new container is refused', clients: 'k' },
  { id: 'no-new-finalizers', does: 'add a finalizer to an object being deleted', promise: 'refused (no new finalizers)', clients: 'k' },
  { id: 'rollout', does: 'create a Deployment, set a new image, rollout status / history / undo, scale', promise: 'ReplicaSets per revision; each rollout completes; history lists both revisions', clients: 'k' },
  { id: 'job', does: 'kubectl create job, then kubectl wait --for=condition=complete', promise: 'the Job completes with 1 succeeded pod', clients: 'k' },
  { id: 'job-indexed', does: 'apply an Indexed Job with 3 completions', promise: 'pods carry job-completion-index 0..2; completedIndexes 0-2', clients: 'k' },
  { id: 'statefulset', does: 'apply a StatefulSet of 2, rollout status, set a new image, rollout status', promise: 'pods db-0 and db-1, replaced from the highest ordinal down; both rollouts complete', clients: 'k' },
  { id: 'wide-columns', does: 'kubectl get services / deployments / replicasets / secrets / jobs -o wide', promise: 'the columns kube-apiserver prints (TYPE, CLUSTER-IP, PORT(S); READY, UP-TO-DATE, IMAGES; …)', clients: 'k' },
  { id: 'auth-whoami', does: 'kubectl auth whoami', promise: 'the mock\'s user and groups', clients: 'k' },
  { id: 'auth-can-i-list', does: 'kubectl auth can-i --list', promise: 'every verb on every resource', clients: 'k' },
  { id: 'create-token', does: 'create a ServiceAccount token, then call the API with it', promise: 'a token the mock accepts, naming the ServiceAccount as the user', clients: 'kn' },
  { id: 'pod-events', does: 'start a pod, delete it, kubectl get events', promise: 'Scheduled, Pulled, Created, Started, then Killing for the pod', clients: 'k' },
  { id: 'cp', does: 'kubectl cp a binary file and a folder into a running pod and back', promise: 'the same bytes come back', clients: 'k' },
];

/** checksFor returns the checks one client (k, n or p) runs. */
export function checksFor(client: string): Check[] {
  return CHECKS.filter((c) => c.clients.includes(client));
}

/** markdownTable renders CHECKS as the README's table. */
export function markdownTable(): string {
  const who = (c: string) => [c.includes('k') ? 'kubectl' : '', c.includes('n') ? 'client-node' : '', c.includes('p') ? 'python' : ''].filter(Boolean).join(', ');
  const rows = CHECKS.map((c) => `| ${c.id} | ${c.does} | ${c.promise} | ${who(c.clients)} |`);
  return ['| check | a user… | the mock promises | checked with |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** Scoreboard counts one client's passed checks and prints them once, as a comment line of the test output. */
export class Scoreboard {
  private passed = 0;
  private ran = 0;

  constructor(private readonly client: string) {}

  /** run runs one check, counting it. */
  async run(fn: () => Promise<void>): Promise<void> {
    this.ran++;
    await fn();
    this.passed++;
  }

  /** print writes `# conformance <client>: P of R checks pass`. */
  print(): void {
    console.log(`# conformance ${this.client}: ${this.passed} of ${this.ran} checks pass`);
  }
}
