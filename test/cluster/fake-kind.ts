/**
 * A fake `kind` for the cluster tests: a Node script written into a temporary bin folder that the tests
 * put first on PATH. It records each call (argv, KIND_EXPERIMENTAL_PROVIDER, pid) as a JSON line, keeps
 * its clusters in a state file, and plays kind's real behaviours with kind's own wording
 * (sigs.k8s.io/kind: create.go, kubeconfig.go, docker-image.go, logs.go, cmd/kind/app/main.go): success
 * output on stderr, `ERROR: …` with exit 1, a container runtime that is down (docker's message as kind
 * passes it on), a hang (with a grandchild in its process group), and `get kubeconfig` printing a given
 * kubeconfig.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = String.raw`#!/usr/bin/env node
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const env = process.env;
const argv = process.argv.slice(2);
const log = (o) => fs.appendFileSync(env.FAKE_KIND_LOG, JSON.stringify(o) + '\n');
log({ argv, provider: env.KIND_EXPERIMENTAL_PROVIDER ?? null, pid: process.pid });
const statePath = env.FAKE_KIND_STATE;
const state = JSON.parse(fs.readFileSync(statePath, 'utf8'));
const save = () => fs.writeFileSync(statePath, JSON.stringify(state));
const err = (msg) => { process.stderr.write('ERROR: ' + msg + '\n'); process.exit(1); };
const flag = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const name = flag('--name', 'kind');
const listCmd = (c) => 'command "docker ps -a --filter label=io.x-k8s.kind.cluster=' + c + " --format '{{.Names}}'" + '" failed with error: exit status 1';
const daemonDown = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?';

if (state.mode === 'hang') {
  // A kind that never finishes, with a helper process in its group (as kind's docker calls are).
  const helper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  log({ hang: true, pid: process.pid, helper: helper.pid });
  process.stderr.write('Creating cluster "' + name + '" ...\n');
  setInterval(() => {}, 1000);
  return;
}
const sub = argv.slice(0, 2).join(' ');
if (state.mode === 'runtime-down') {
  if (sub === 'get clusters') err('failed to list clusters: command "docker ps -a --filter label=io.x-k8s.kind.cluster --format \'{{.Label "io.x-k8s.kind.cluster"}}\'" failed with error: exit status 1\n\nCommand Output: ' + daemonDown);
  const prefix = sub === 'create cluster' ? 'failed to create cluster: ' : sub === 'delete cluster' ? 'failed to delete cluster "' + name + '": error listing nodes: ' : '';
  err(prefix + 'failed to list nodes: ' + listCmd(name) + '\n\nCommand Output: ' + daemonDown);
}
const exists = state.clusters.includes(name);
switch (sub) {
  case 'create cluster': {
    if (exists) err('failed to create cluster: node(s) already exist for a cluster with the name "' + name + '"');
    const image = flag('--image', 'kindest/node:v1.33.1');
    const lines = ['Creating cluster "' + name + '" ...', ' ✓ Ensuring node image (' + image + ') 🖼', ' ✓ Preparing nodes 📦', ' ✓ Writing configuration 📜', ' ✓ Starting control-plane 🕹️', ' ✓ Installing CNI 🔌', ' ✓ Installing StorageClass 💾', ' ✓ Waiting ≤ 2m0s for control-plane = Ready ⏳', ' • Ready after 14s 💚', 'Set kubectl context to "kind-' + name + '"', 'You can now use your cluster with:', '', 'kubectl cluster-info --context kind-' + name, '', 'Have a nice day! 👋'];
    process.stderr.write(lines.join('\n') + '\n');
    state.clusters.push(name);
    save();
    break;
  }
  case 'delete cluster':
    process.stderr.write('Deleting cluster "' + name + '" ...\n');
    if (exists) {
      process.stderr.write('Deleted nodes: ["' + name + '-control-plane"]\n');
      state.clusters = state.clusters.filter((c) => c !== name);
      save();
    }
    break;
  case 'get clusters':
    if (!state.clusters.length) process.stderr.write('No kind clusters found.\n');
    for (const c of state.clusters) process.stdout.write(c + '\n');
    break;
  case 'get kubeconfig':
    if (!exists) err("could not locate any control plane nodes for cluster named '" + name + "'. Use the --name option to select a different cluster");
    process.stdout.write(fs.readFileSync(state.kubeconfig, 'utf8'));
    break;
  case 'load docker-image': {
    const images = argv.slice(2).filter((a, i, all) => a !== '--name' && all[i - 1] !== '--name');
    for (const img of images) if (!state.images.includes(img)) err('image: "' + img + '" not present locally');
    if (!exists) err('no nodes found for cluster "' + name + '"');
    for (const img of images) process.stderr.write('Image: "' + img + '" with ID "sha256:0f1e2d3c4b5a" not yet present on node "' + name + '-control-plane", loading...\n');
    break;
  }
  case 'load image-archive':
    if (!exists) err('no nodes found for cluster "' + name + '"');
    break;
  case 'export logs': {
    if (!exists) err('unknown cluster "' + name + '"');
    const dir = argv[2];
    fs.mkdirSync(dir + '/' + name + '-control-plane', { recursive: true });
    fs.writeFileSync(dir + '/' + name + '-control-plane/kubelet.log', 'kubelet log\n');
    process.stderr.write('Exporting logs for cluster "' + name + '" to:\n');
    process.stdout.write(dir + '\n');
    break;
  }
  default:
    err('unknown command "' + argv.join(' ') + '" for "kind"');
}
`;

/** FakeKindState is what the fake kind knows: its clusters, the images present locally, the kubeconfig it prints, and a failure mode. */
export interface FakeKindState {
  clusters: string[];
  images: string[];
  kubeconfig: string;
  mode: 'ok' | 'hang' | 'runtime-down';
}

/** FakeKindCall is one recorded call. */
export interface FakeKindCall {
  argv?: string[];
  provider?: string | null;
  pid: number;
  hang?: boolean;
  helper?: number;
}

/** FakeKind is an installed fake kind: `env` puts it first on PATH. */
export interface FakeKind {
  dir: string;
  env: NodeJS.ProcessEnv;
  setState(s: Partial<FakeKindState>): void;
  state(): FakeKindState;
  calls(): FakeKindCall[];
  remove(): void;
}

/** installFakeKind writes the fake kind into a new temporary folder with the given state. */
export function installFakeKind(initial: Partial<FakeKindState> = {}, extraEnv: NodeJS.ProcessEnv = {}): FakeKind {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-fake-kind-'));
  const bin = join(dir, 'bin');
  const script = join(bin, 'kind');
  const statePath = join(dir, 'state.json');
  const logPath = join(dir, 'calls.ndjson');
  // The bin folder holds only kind; node is found on the rest of PATH.
  mkdirSync(bin, { recursive: true });
  writeFileSync(script, SCRIPT);
  chmodSync(script, 0o755);
  writeFileSync(statePath, JSON.stringify({ clusters: [], images: [], kubeconfig: '', mode: 'ok', ...initial }));
  writeFileSync(logPath, '');
  const env: NodeJS.ProcessEnv = { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: dir, FAKE_KIND_STATE: statePath, FAKE_KIND_LOG: logPath, ...extraEnv };
  return {
    dir,
    env,
    setState: (s) => writeFileSync(statePath, JSON.stringify({ ...JSON.parse(readFileSync(statePath, 'utf8')), ...s })),
    state: () => JSON.parse(readFileSync(statePath, 'utf8')) as FakeKindState,
    calls: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as FakeKindCall) : []),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
