/**
 * The `racerig.io/sent-at` stamp, the one place that writes and reads it. Writes (create, update and
 * merge/strategic patch steps) stamp the wall-clock ms they are sent at; watches read it to time the
 * event a write caused. Create manifests and merge patches avoid a JSON round trip per request: each
 * worker rebuilds the template once with a placeholder annotation (`withSentAtPlaceholder`), and a
 * render then swaps the placeholder for the send time (`fillSentAt`, one search in the text).
 */
import { hasTemplate } from '../profile/template.js';
import { buildValueTemplate, type ValueTemplate } from '../profile/value-template.js';
import { wallMs } from '../engine/clock.js';

/** SENT_AT_ANNOTATION is the annotation (wall-clock ms since the Unix epoch) racerig stamps on objects so watchers can measure delivery lag. */
export const SENT_AT_ANNOTATION = 'racerig.io/sent-at';

const PLACEHOLDER = '__racerig_sent_at__';
const PLACEHOLDER_JSON = JSON.stringify(PLACEHOLDER);

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const now = (): string => String(Math.round(wallMs()));

/** withSentAtPlaceholder returns a manifest or merge-patch template with a placeholder `racerig.io/sent-at` annotation, or undefined when it cannot (then stamp the rendered text). */
export function withSentAtPlaceholder(vt: ValueTemplate): ValueTemplate | undefined {
  const value = vt.value;
  if (!isRecord(value) || (value.metadata !== undefined && !isRecord(value.metadata))) return undefined;
  const metadata = (value.metadata ?? {}) as Record<string, unknown>;
  if (metadata.annotations !== undefined && !isRecord(metadata.annotations)) return undefined;
  const stamped = { ...value, metadata: { ...metadata, annotations: { ...(metadata.annotations as Record<string, unknown> | undefined), [SENT_AT_ANNOTATION]: PLACEHOLDER } } };
  // The loader made a slot of every string holding an expression; the walk order is the same, so slots map in order.
  let k = 0;
  const out = buildValueTemplate(stamped, (_p, text) => (text !== PLACEHOLDER && hasTemplate(text) ? vt.slots[k++] : undefined));
  return k === vt.slots.length && out.slots.every(Boolean) ? out : undefined;
}

/** fillSentAt replaces the placeholder of a manifest rendered from `withSentAtPlaceholder` with the send time (wall-clock ms); undefined when it holds none. */
export function fillSentAt(text: string): string | undefined {
  const i = text.indexOf(PLACEHOLDER_JSON);
  if (i < 0) return undefined;
  return `${text.slice(0, i)}"${now()}"${text.slice(i + PLACEHOLDER_JSON.length)}`;
}

/** stampObject sets the stamp (wall-clock ms, now) of an object about to be written (update), so watches can time the MODIFIED event it causes. */
export function stampObject(obj: { metadata?: unknown }): void {
  const md = (obj.metadata ??= {}) as { annotations?: Record<string, string> | null };
  md.annotations = { ...md.annotations, [SENT_AT_ANNOTATION]: now() };
}

/** stampManifest returns a create manifest's JSON text with the stamp: the placeholder filled when it holds one, else added by a JSON round trip. */
export function stampManifest(manifestJson: string): string {
  const filled = fillSentAt(manifestJson);
  if (filled !== undefined) return filled;
  const obj = JSON.parse(manifestJson) as { metadata?: { annotations?: Record<string, string> } };
  obj.metadata ??= {};
  obj.metadata.annotations = { ...obj.metadata.annotations, [SENT_AT_ANNOTATION]: now() };
  return JSON.stringify(obj);
}

/** stampPatch returns a merge or strategic merge patch body with the stamp (placeholder filled, else added to a JSON object body; other bodies are returned as they are). */
export function stampPatch(bodyJson: string): string {
  const filled = fillSentAt(bodyJson);
  if (filled !== undefined) return filled;
  if (bodyJson.charCodeAt(0) !== 0x7b /* { */) return bodyJson;
  const obj = JSON.parse(bodyJson) as { metadata?: unknown };
  if (obj.metadata === null || (obj.metadata !== undefined && typeof obj.metadata !== 'object')) return bodyJson;
  stampObject(obj);
  return JSON.stringify(obj);
}

/** readSentAt returns an object's stamp (wall-clock ms), or undefined when it carries none (or an unusable one). */
export function readSentAt(obj: unknown): number | undefined {
  const v = (obj as { metadata?: { annotations?: Record<string, string> | null } } | undefined)?.metadata?.annotations?.[SENT_AT_ANNOTATION];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * SentAtTracker is a watch's lag rule: an ADDED or MODIFIED event is timed from the object's stamp when
 * that stamp is newer than `sinceWallMs` (the watch's start) and changed since the object's previous
 * event, so a change racerig did not make (a controller's status update) keeps the old stamp and is not
 * timed. One map lookup per stamped event; one tracker per watch, used on one thread.
 */
export class SentAtTracker {
  /** The last stamp seen per object (uid, else namespace/name). */
  private readonly last = new Map<string, string>();

  constructor(private readonly sinceWallMs: number) {}

  /** causedAt returns the wall-clock ms the event's write was sent at, or undefined when it is not to be timed; `fromList` items only record their stamp. */
  causedAt(type: string, object: unknown, fromList: boolean): number | undefined {
    const md = (object as { metadata?: { uid?: string; name?: string; namespace?: string; annotations?: Record<string, string> } } | undefined)?.metadata;
    const key = md?.uid ?? `${md?.namespace ?? ''}/${md?.name ?? ''}`;
    if (type === 'DELETED') {
      this.last.delete(key);
      return undefined;
    }
    const v = md?.annotations?.[SENT_AT_ANNOTATION];
    if (v === undefined) return undefined;
    if (this.last.get(key) === v) return undefined;
    this.last.set(key, v);
    if (fromList) return undefined;
    const n = Number(v);
    return Number.isFinite(n) && n >= this.sinceWallMs ? n : undefined;
  }
}
