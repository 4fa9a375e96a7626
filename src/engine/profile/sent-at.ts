/**
 * The `racerig.io/sent-at` stamp of create and merge/strategic patch steps without a JSON round trip
 * per request: each worker rebuilds the step's manifest or body template once with a placeholder
 * annotation, and a render then swaps the placeholder for the send time (one search in the text).
 */
import { SENT_AT_ANNOTATION } from '../../kube/watch-client.js';
import { hasTemplate } from '../../profile/template.js';
import { buildValueTemplate, type ValueTemplate } from '../../profile/value-template.js';
import { wallMs } from '../clock.js';

const PLACEHOLDER = '__racerig_sent_at__';
const PLACEHOLDER_JSON = JSON.stringify(PLACEHOLDER);

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

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
  return `${text.slice(0, i)}"${Math.round(wallMs())}"${text.slice(i + PLACEHOLDER_JSON.length)}`;
}
