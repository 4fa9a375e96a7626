/** The step kinds by name: one module per kind, like k6's executors and kube-burner's measurements. */
import type { Step } from '../../profile/types.js';
import { createStep } from './create.js';
import { deleteStep } from './delete.js';
import { deleteCollectionStep } from './deletecollection.js';
import { eventStep } from './event.js';
import { execStep } from './exec.js';
import { getStep } from './get.js';
import { httpStep } from './http.js';
import { listStep } from './list.js';
import { logsStep } from './logs.js';
import { patchStep } from './patch.js';
import { sleepStep } from './sleep.js';
import { updateStep } from './update.js';
import { waitStep } from './wait.js';
import { watchStep } from './watch.js';
import type { StepModule } from './step-module.js';

/** STEP_MODULES maps every step kind of the profile schema (STEP_KINDS) to its module (the type makes a missing kind a compile error). */
export const STEP_MODULES: { readonly [K in Step['kind']]: StepModule<K> } = {
  create: createStep,
  get: getStep,
  list: listStep,
  watch: watchStep,
  update: updateStep,
  patch: patchStep,
  delete: deleteStep,
  deletecollection: deleteCollectionStep,
  exec: execStep,
  logs: logsStep,
  wait: waitStep,
  event: eventStep,
  sleep: sleepStep,
  http: httpStep,
};
