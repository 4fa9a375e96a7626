/**
 * Shared watch fan-out: streams that see the same events in the same form (same type, namespace,
 * selectors and representation) form one audience. The audience subscribes to the store once,
 * matches each event once, and logs its frame; each member has a cursor into the log, so streams
 * written at the same position share one chunk buffer.
 */
import type { ResourceInfo } from '../resources.js';
import type { Store, StoreEvent, StoredObject } from '../store.js';
import type { Matcher } from '../selectors.js';
import { chunkOf, eventLine } from './frames.js';
import { afterFaultDelay } from './fault-delay.js';

/** AudienceSpec is what makes two watch streams see the same frames. */
export interface AudienceSpec {
  /** The identity of the audience: resource, namespace, selectors and representation. */
  key: string;
  info: ResourceInfo;
  /** Namespace the events are limited to ('' for all). */
  ns: string;
  /** Label and field selectors together; undefined when the watch has none. */
  match: Matcher | undefined;
  /** Renders one object in the client's representation; the full object when unset. */
  represent: ((info: ResourceInfo, s: StoredObject) => string) | undefined;
  /** Converts a stored object to `info`'s API form when `info` views another type's storage. */
  view: (s: StoredObject) => StoredObject;
}

/** AudienceMember is what an audience reads of its members: how far into its log each has been written. */
export interface AudienceMember {
  readonly position: number;
}

/**
 * Audience is the set of watch streams that receive the same frames for the same store events. Its
 * frames go into a log (absolute positions from `base`); the log is trimmed below the lowest
 * member position after each sweep.
 */
export class Audience {
  private readonly members = new Set<AudienceMember>();
  private log: Buffer[] = [];
  private logRv: number[] = [];
  /** Absolute position of log[0]. */
  private base = 0;
  /** The last shared chunk built, and the log range it covers. */
  private cachedChunk: Buffer | undefined;
  private cachedFrom = -1;
  private cachedTo = -1;
  private readonly unsubscribe: () => void;

  /** `onQueued` is called when a frame was logged (a write sweep is due), `onEmpty` when the last member left (the store subscription is gone). */
  constructor(
    readonly spec: AudienceSpec,
    private readonly store: Store,
    private readonly delayMs: () => number,
    private readonly onQueued: () => void,
    private readonly onEmpty: (a: Audience) => void,
  ) {
    this.unsubscribe = this.store.subscribe(spec.info.id, (ev) => this.onEvent(ev));
  }

  /** end is the absolute position after the last logged frame. */
  get end(): number {
    return this.base + this.log.length;
  }

  /** line returns the logged frame at absolute position `i`. */
  line(i: number): Buffer {
    return this.log[i - this.base]!;
  }

  /** skipTo returns the first position at or after `cursor` whose event is newer than `joinRv`. */
  skipTo(cursor: number, joinRv: number): number {
    let i = Math.max(cursor, this.base);
    while (i < this.end && this.logRv[i - this.base]! <= joinRv) i++;
    return i;
  }

  /** chunkFrom returns the frames from absolute position `from` to the end as one HTTP chunk, shared by every stream written at the same position. */
  chunkFrom(from: number): Buffer {
    const to = this.end;
    if (this.cachedChunk && this.cachedFrom === from && this.cachedTo === to) return this.cachedChunk;
    this.cachedChunk = chunkOf(this.log, from - this.base);
    this.cachedFrom = from;
    this.cachedTo = to;
    return this.cachedChunk;
  }

  /** trim drops the logged frames every member has been written (after a sweep). */
  trim(): void {
    let low = this.end;
    for (const m of this.members) if (m.position < low) low = m.position;
    const drop = low - this.base;
    if (drop <= 0) return;
    if (drop === this.log.length) {
      this.log = [];
      this.logRv = [];
    } else {
      this.log = this.log.slice(drop);
      this.logRv = this.logRv.slice(drop);
    }
    this.base = low;
    this.cachedChunk = undefined;
  }

  /** render returns the frame of `s` as a `type` event in this audience's representation, cached on the event or object when shared. */
  render(type: string, ev: StoreEvent | undefined, s: StoredObject): Buffer {
    const { info, represent } = this.spec;
    if (info.view) s = this.spec.view(s);
    if (represent) return eventLine(type, represent(info, s));
    if (info.view) return type === 'ADDED' ? (s.addedLine ??= eventLine(type, s.json)) : eventLine(type, s.json);
    if (ev && ev.type === type) return (ev.line ??= eventLine(type, s.json));
    if (type === 'ADDED') return (s.addedLine ??= eventLine(type, s.json));
    return eventLine(type, s.json);
  }

  /** frameFor turns a store event into this audience's frame (selector transitions become ADDED/DELETED), or undefined when it does not see it. */
  frameFor(ev: StoreEvent): Buffer | undefined {
    const s = ev.stored;
    if (this.spec.ns && s.obj.metadata.namespace !== this.spec.ns) return undefined;
    const match = this.spec.match;
    if (!match) return this.render(ev.type, ev, s);
    const now = match(s.obj);
    if (ev.type === 'MODIFIED') {
      const before = ev.prev ? match(ev.prev.obj) : false;
      if (now && before) return this.render('MODIFIED', ev, s);
      if (now) return this.render('ADDED', undefined, s);
      if (before) return this.render('DELETED', undefined, s);
      return undefined;
    }
    return now ? this.render(ev.type, ev, s) : undefined;
  }

  /** add makes `m` a member (its position must be set to `end` by the caller, or it gets the log from where it points). */
  add(m: AudienceMember): void {
    this.members.add(m);
  }

  /** leave removes a member; the last one to leave ends the audience's store subscription. */
  leave(m: AudienceMember): void {
    this.members.delete(m);
    if (this.members.size === 0) {
      this.unsubscribe();
      this.onEmpty(this);
    }
  }

  private onEvent(ev: StoreEvent): void {
    if (this.members.size === 0) return;
    const frame = this.frameFor(ev);
    if (!frame) return;
    const rv = ev.stored.rv;
    afterFaultDelay(this.delayMs, () => this.append(frame, rv));
  }

  private append(frame: Buffer, rv: number): void {
    if (this.members.size === 0) return;
    this.log.push(frame);
    this.logRv.push(rv);
    this.onQueued();
  }
}
