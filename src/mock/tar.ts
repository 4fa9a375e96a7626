/**
 * A minimal tar for the mock's containers, enough for `kubectl cp` both ways: `tar x` reads a ustar
 * stream (with PAX and GNU long names, as Go's archive/tar writes them) into a container's in-memory
 * files, `tar c` writes files back as ustar, and `test -d` tells directories apart.
 */

/** ContainerFiles is one container's files, by absolute path. */
export type ContainerFiles = Map<string, Buffer>;

/** WELL_KNOWN_DIRS exist in every mock container. */
const WELL_KNOWN_DIRS = new Set(['/', '/tmp', '/root', '/home', '/var', '/etc', '/usr', '/bin', '/opt', '/data']);

/** normalizePath makes an absolute, slash-separated path without `.`/`..` segments or a trailing slash, relative ones against `cwd`. */
export function normalizePath(p: string, cwd = '/'): string {
  const parts: string[] = [];
  for (const seg of (p.startsWith('/') ? p : `${cwd}/${p}`).split('/')) {
    if (!seg || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

/** isDir tells whether `path` is a directory of the container: a well-known one or the parent of a stored file. */
export function isDir(files: ContainerFiles, path: string): boolean {
  const p = normalizePath(path);
  if (WELL_KNOWN_DIRS.has(p)) return true;
  const prefix = `${p}/`;
  for (const k of files.keys()) if (k.startsWith(prefix)) return true;
  return false;
}

function octal(b: Buffer, from: number, len: number): number {
  const s = b.subarray(from, from + len).toString('ascii').replace(/\0.*$/s, '').trim();
  return s ? parseInt(s, 8) : 0;
}

function cstring(b: Buffer, from: number, len: number): string {
  const s = b.subarray(from, from + len);
  const z = s.indexOf(0);
  return (z < 0 ? s : s.subarray(0, z)).toString('utf8');
}

/** untar stores the regular files of a tar stream under `dir`; returns how many. Throws on a malformed stream. */
export function untar(data: Buffer, files: ContainerFiles, dir: string): number {
  let at = 0;
  let longName: string | undefined;
  let count = 0;
  while (at + 512 <= data.length) {
    const h = data.subarray(at, at + 512);
    if (h.every((x) => x === 0)) break;
    const size = octal(h, 124, 12);
    const type = String.fromCharCode(h[156]!);
    const body = data.subarray(at + 512, at + 512 + size);
    if (body.length < size) throw new Error('unexpected end of tar stream');
    at += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      if (m) longName = m[1];
      continue;
    }
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    if (type === 'g') continue;
    const prefix = cstring(h, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${cstring(h, 0, 100)}` : cstring(h, 0, 100));
    longName = undefined;
    if (type === '0' || type === '\0' || type === '7') {
      files.set(normalizePath(name, dir), Buffer.from(body));
      count++;
    }
  }
  return count;
}

function header(name: string, size: number, type: '0' | '5'): Buffer {
  const h = Buffer.alloc(512);
  let n = name;
  let prefix = '';
  if (Buffer.byteLength(n) > 99) {
    const cut = n.lastIndexOf('/', n.length - 1 - 0);
    prefix = n.slice(0, cut);
    n = n.slice(cut + 1);
  }
  h.write(n, 0, 100, 'utf8');
  h.write(type === '5' ? '0000755\0' : '0000644\0', 100, 'ascii');
  h.write('0000000\0', 108, 'ascii');
  h.write('0000000\0', 116, 'ascii');
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  h.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const x of h) sum += x;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** tar writes `path` (a file, or a directory with everything under it) as a ustar stream, names without the leading slash; undefined when it does not exist. */
export function tar(files: ContainerFiles, path: string): Buffer | undefined {
  const p = normalizePath(path);
  const parts: Buffer[] = [];
  const add = (name: string, body: Buffer) => {
    parts.push(header(name.slice(1), body.length, '0'), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  };
  const file = files.get(p);
  if (file) add(p, file);
  else {
    if (!isDir(files, p)) return undefined;
    parts.push(header(`${p.slice(1)}/`, 0, '5'));
    const prefix = p === '/' ? '/' : `${p}/`;
    const dirs = new Set<string>();
    for (const k of [...files.keys()].sort()) {
      if (!k.startsWith(prefix)) continue;
      // Intermediate directories first, as tar lists them.
      const segs = k.slice(prefix.length).split('/');
      for (let i = 1; i < segs.length; i++) {
        const d = `${prefix}${segs.slice(0, i).join('/')}`;
        if (!dirs.has(d)) {
          dirs.add(d);
          parts.push(header(`${d.slice(1)}/`, 0, '5'));
        }
      }
      add(k, files.get(k)!);
    }
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
