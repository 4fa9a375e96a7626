/**
 * The Dockerfile without a container engine: every path it copies from the build context exists and is
 * not excluded by .dockerignore, the entrypoint is package.json's `bin` under the runtime stage's
 * WORKDIR, the compiled CLI is copied where bin/racerig loads it, and the runtime stage is Node 20 slim,
 * production dependencies only, a non-root user, /results a volume.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

interface Stage {
  from: string;
  name?: string;
  lines: { op: string; args: string }[];
}

function stages(text: string): Stage[] {
  const out: Stage[] = [];
  const joined = text.replace(/\\\n/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [op, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op!.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      out.push({ from: m[1]!, ...(m[2] ? { name: m[2] } : {}), lines: [] });
    } else out.at(-1)!.lines.push({ op: op!.toUpperCase(), args });
  }
  return out;
}

const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const all = stages(dockerfile);
const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };

test('Dockerfile: every COPY from the build context names a path that exists and is not in .dockerignore', () => {
  let copies = 0;
  for (const s of all) {
    for (const l of s.lines) {
      if (l.op !== 'COPY' || l.args.startsWith('--from')) continue;
      const parts = l.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) {
        copies++;
        assert.ok(existsSync(join(root, src)), `COPY ${src}: no such path in the repository`);
        const top = src.split('/')[0]!;
        assert.ok(!ignored.includes(top) && !ignored.includes(src), `COPY ${src}: excluded by .dockerignore`);
      }
    }
  }
  assert.ok(copies >= 8, `found ${copies} copied paths`);
});

test("Dockerfile: the entrypoint is package.json's bin, and the compiled CLI is where bin/racerig loads it", () => {
  assert.ok(all.length >= 2, 'multi-stage');
  const runtime = all.at(-1)!;
  const entry = runtime.lines.find((l) => l.op === 'ENTRYPOINT');
  assert.ok(entry, 'an ENTRYPOINT');
  const [exe] = JSON.parse(entry.args) as string[];
  // The WORKDIR in force when bin/ is copied is where the app lives.
  let workdir = '/';
  let appDir: string | undefined;
  for (const l of runtime.lines) {
    if (l.op === 'WORKDIR') workdir = posix.resolve(workdir, l.args);
    if (l.op === 'COPY' && /^bin\s/.test(l.args)) appDir = workdir;
  }
  assert.ok(appDir, 'bin/ is copied into the runtime stage');
  assert.equal(exe, posix.join(appDir, pkg.bin.racerig!), "ENTRYPOINT is package.json's bin.racerig under the app folder");
  const bin = readFileSync(join(root, pkg.bin.racerig!), 'utf8');
  assert.match(bin, /'src\/cli\/main\.js'/, 'bin/racerig loads <dist>/src/cli/main.js');
  assert.ok(runtime.lines.some((l) => l.op === 'COPY' && /--from=build\s+\/app\/dist\/src\s+\.\/dist\/src/.test(l.args)), 'the compiled src/ goes to <app>/dist/src');
  const build = all.find((s) => s.name === 'build')!;
  assert.ok(build.lines.some((l) => l.op === 'RUN' && /npm ci\b/.test(l.args) && !/--omit=dev/.test(l.args)), 'the build stage installs the dev dependencies (TypeScript)');
  const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as { compilerOptions: { outDir: string; rootDir: string } };
  assert.deepEqual([tsconfig.compilerOptions.outDir, tsconfig.compilerOptions.rootDir], ['dist', '.'], 'tsc writes src/ to dist/src');
});

test('Dockerfile: runtime on Node 20 slim with production dependencies only, a non-root user, /results a volume, profiles and examples included', () => {
  const runtime = all.at(-1)!;
  assert.match(runtime.from, /^node:20[.\w-]*-slim$/);
  const deps = all.find((s) => runtime.lines.some((l) => l.op === 'COPY' && l.args.startsWith(`--from=${s.name} `) && /node_modules/.test(l.args)));
  assert.ok(deps, 'node_modules comes from a stage of its own');
  assert.ok(deps.lines.some((l) => l.op === 'RUN' && /npm ci .*--omit=dev/.test(l.args)), 'that stage installs production dependencies only');
  const user = runtime.lines.filter((l) => l.op === 'USER').at(-1);
  assert.ok(user && !/^(root|0)(:|$)/.test(user.args), 'runs as a non-root user');
  assert.ok(runtime.lines.some((l) => l.op === 'VOLUME' && /\/results/.test(l.args)));
  for (const dir of ['profiles', 'examples']) assert.ok(runtime.lines.some((l) => l.op === 'COPY' && l.args.startsWith(`${dir} `)), `${dir}/ is in the image`);
});
