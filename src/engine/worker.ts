/** The piscina worker entry: runs one worker's share of a run (see load-worker.ts). */
import { runLoadWorker } from './load-worker.js';
import type { WorkerTask, WorkerReport } from './worker-task.js';

/** Default export called by piscina with the worker's task. */
export default function worker(task: WorkerTask): Promise<WorkerReport> {
  return runLoadWorker(task);
}
