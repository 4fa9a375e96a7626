/**
 * The piscina worker entry: runs one worker's share of a run (`run <url>`: load-worker.ts; profiles:
 * src/profile-run/profile-worker.ts). Each is imported on first use, so a URL run's workers never load the
 * profile schema and Kubernetes client code (about 0.15 s of start-up CPU per worker).
 */
import type { WorkerTask, WorkerReport } from './worker-task.js';
import type { ProfileTask } from '../profile-run/profile-task.js';

/** Default export called by piscina with the worker's task. */
export default async function worker(task: WorkerTask | ProfileTask): Promise<WorkerReport> {
  if ('kind' in task && task.kind === 'profile') {
    const { runProfileTask } = await import('../profile-run/profile-worker.js');
    return runProfileTask(task);
  }
  const { runLoadWorker } = await import('./load-worker.js');
  return runLoadWorker(task as WorkerTask);
}
