/**
 * What the conformance tests share: one mock per test file (pods start at once and keep running), the
 * conformance CRD, manifests, and discovery of the installed kubectl versions.
 */
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { json, startFixture, type MockFixture } from '../mock/helpers.js';

/** LOG_ANNOTATION makes a simulated container print the annotation's lines. */
export const LOG_ANNOTATION = 'racerig.dev/log';

/** startConformanceMock starts a mock whose pods start at once (those that may complete, restartPolicy Never/OnFailure, after 100 ms), with the conformance CRD installed. */
export async function startConformanceMock(): Promise<MockFixture> {
  const fx = await startFixture({ lifecycle: { podStartDelayMs: 0, podRunDurationMs: 100, jitter: 0 }, podTerminationMs: 20 });
  const r = await json(fx.url, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', WIDGET_CRD);
  if (r.status !== 201) throw new Error(`CRD not created: ${JSON.stringify(r.body)}`);
  return fx;
}

/** WIDGET_CRD is a namespaced custom resource, widgets.conformance.racerig.dev/v1. */
export const WIDGET_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.conformance.racerig.dev' },
  spec: {
    group: 'conformance.racerig.dev',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
};

/** KubectlBinary is one installed kubectl, labelled by its version. */
export interface KubectlBinary {
  label: string;
  bin: string;
}

/**
 * installedKubectls lists the `kubectl.1.NN` beside the kubectl on PATH, oldest first (that kubectl alone when there
 * are none): the oldest and the newest, or every one with RACERIG_CONFORMANCE_KUBECTLS=all (each version costs the
 * suite ~20 s on a 2-core machine).
 */
export function installedKubectls(): KubectlBinary[] {
  let dir: string;
  try {
    dir = dirname(realpathSync(execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim()));
  } catch {
    return [];
  }
  const versioned = readdirSync(dir)
    .filter((f) => /^kubectl\.1\.\d+$/.test(f))
    .sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]))
    .map((f) => ({ label: `kubectl 1.${f.split('.')[2]}`, bin: join(dir, f) }));
  if (versioned.length) return process.env.RACERIG_CONFORMANCE_KUBECTLS === 'all' || versioned.length <= 2 ? versioned : [versioned[0]!, versioned[versioned.length - 1]!];
  return existsSync(join(dir, 'kubectl')) ? [{ label: 'kubectl', bin: join(dir, 'kubectl') }] : [];
}

/** configMap returns a ConfigMap manifest. */
export function configMap(name: string, ns: string, data: Record<string, string> = { k: 'v1' }): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data };
}

/** runningPod returns a pod manifest that logs `lines`. */
export function runningPod(name: string, ns: string, lines: string[]): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, annotations: { [LOG_ANNOTATION]: lines.join('\n') } },
    spec: { containers: [{ name: 'main', image: 'busybox' }] },
  };
}
