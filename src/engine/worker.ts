/** The piscina worker entry: runs one worker's share of a run (`run <url>`: load-worker.ts; profiles: profile/profile-worker.ts). */
import { runLoadWorker } from './load-worker.js';
import { runProfileTask } from './profile/profile-worker.js';
import type { WorkerTask, WorkerReport } from './worker-task.js';
import type { ProfileTask } from './profile/profile-task.js';

/** Default export called by piscina with the worker's task. */
export default function worker(task: WorkerTask | ProfileTask): Promise<WorkerReport> {
  if ('kind' in task && task.kind === 'profile') return runProfileTask(task);
  return runLoadWorker(task as WorkerTask);
}
