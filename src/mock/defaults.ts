/**
 * Server-side defaults for new objects of the types that have them (pods, namespaces, deployments,
 * statefulsets, jobs, secrets, workflows, CRDs).
 */
import type { KubeObject } from './store.js';
import type { ResourceInfo } from './resources.js';
import { defaultPodSpec } from './update-rules.js';

/** MOCK_NODE_NAME is the node the simulated scheduler binds every pod to. */
export const MOCK_NODE_NAME = 'racerig-node';

/** applyDefaults fills defaulted fields of a new object of type `info` in place. */
export function applyDefaults(info: ResourceInfo, obj: KubeObject): void {
  switch (info.id) {
    case '/pods': {
      defaultPodSpec((obj.spec ??= {}) as Record<string, unknown>);
      obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    }
    case '/namespaces':
      obj.spec = { finalizers: ['kubernetes'] };
      obj.status = { phase: 'Active' };
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name! };
      break;
    case 'argoproj.io/workflows':
      obj.status = { phase: 'Pending' };
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'workflows.argoproj.io/phase': 'Pending' };
      break;
    case 'apps/deployments': {
      const spec = (obj.spec ??= {}) as Record<string, unknown>;
      spec.replicas ??= 1;
      spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      break;
    }
    case 'apps/statefulsets': {
      const spec = (obj.spec ??= {}) as Record<string, unknown>;
      spec.replicas ??= 1;
      spec.podManagementPolicy ??= 'OrderedReady';
      spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
      spec.revisionHistoryLimit ??= 10;
      spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
      break;
    }
    case 'batch/jobs': {
      // As the Job strategy defaults them: both unset means one pod to completion; a generated selector.
      const spec = (obj.spec ??= {}) as Record<string, unknown>;
      if (spec.completions === undefined && spec.parallelism === undefined) {
        spec.completions = 1;
        spec.parallelism = 1;
      }
      spec.parallelism ??= 1;
      spec.backoffLimit ??= 6;
      spec.completionMode ??= 'NonIndexed';
      spec.suspend ??= false;
      const uid = obj.metadata.uid!;
      const name = obj.metadata.name!;
      const own = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name };
      if (!spec.selector) spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
      const tmpl = (spec.template ??= {}) as { metadata?: { labels?: Record<string, string> } };
      tmpl.metadata = { ...(tmpl.metadata ?? {}), labels: { ...(tmpl.metadata?.labels ?? {}), ...own } };
      break;
    }
    case '/secrets':
      obj.type ??= 'Opaque';
      break;
    case 'apiextensions.k8s.io/customresourcedefinitions': {
      const spec = obj.spec as { names?: Record<string, unknown> } | undefined;
      obj.status = {
        acceptedNames: spec?.names ?? {},
        conditions: [
          { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
          { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
        ],
        storedVersions: [],
      };
      break;
    }
    default:
  }
}

/** mockNode returns the node object the mock starts with. */
export function mockNode(): KubeObject {
  return {
    metadata: { name: MOCK_NODE_NAME, labels: { 'kubernetes.io/hostname': MOCK_NODE_NAME, 'type': 'racerig-mock' } },
    spec: {},
    status: {
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'racerig mock kubelet is ready' }],
      capacity: { cpu: '1000', memory: '4Ti', pods: '1000000' },
      allocatable: { cpu: '1000', memory: '4Ti', pods: '1000000' },
      nodeInfo: { kubeletVersion: 'v1.32.0-racerig', operatingSystem: 'linux', architecture: 'amd64' },
    },
  };
}
