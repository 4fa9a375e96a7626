import type { CommandRegistrar } from './main.js';
/** registerRunCommand adds `racerig run` (work in progress). */
export const registerRunCommand: CommandRegistrar = (program) => {
  program.command('run <target>').description('run load against a URL (work in progress)');
};
