/**
 * events.k8s.io/v1 Events are core v1 Events seen through another API, as in Kubernetes: one
 * storage (the core form), field names mapped both ways (k8s.io/kubernetes pkg/apis/events/v1
 * conversion).
 */
import type { KubeObject } from './store.js';

/** EVENT_FIELDS pairs each core v1 Event field with its events.k8s.io/v1 name (the others keep their names). */
export const EVENT_FIELDS: ReadonlyArray<readonly [core: string, events: string]> = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
  ['reportingComponent', 'reportingController'],
];

function rename(obj: KubeObject, apiVersion: string, pairs: ReadonlyArray<readonly [from: string, to: string]>): KubeObject {
  const out: KubeObject = { ...obj, apiVersion, kind: 'Event' };
  for (const [from, to] of pairs) {
    delete out[to];
    if (from in obj) {
      delete out[from];
      if (obj[from] !== undefined && obj[from] !== null) out[to] = obj[from];
    }
  }
  return out;
}

const TO_EVENTS = EVENT_FIELDS;
const TO_CORE = EVENT_FIELDS.map(([core, events]) => [events, core] as const);

/** eventsFromCore returns the events.k8s.io/v1 form of a stored core v1 Event (a new object; nested values are shared). */
export function eventsFromCore(obj: KubeObject): KubeObject {
  return rename(obj, 'events.k8s.io/v1', TO_EVENTS);
}

/** coreFromEvents returns the core v1 form (the stored one) of an events.k8s.io/v1 Event. */
export function coreFromEvents(obj: KubeObject): KubeObject {
  return rename(obj, 'v1', TO_CORE);
}

/** eventsFieldPath maps an events.k8s.io field selector path (e.g. regarding.name) to the stored core path (involvedObject.name). */
export function eventsFieldPath(path: string[]): string[] {
  const pair = EVENT_FIELDS.find(([, events]) => events === path[0]);
  return pair ? [pair[0], ...path.slice(1)] : path;
}
