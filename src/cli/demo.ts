import type { CommandRegistrar } from './main.js';
/** registerDemoCommand adds `racerig demo` (work in progress). */
export const registerDemoCommand: CommandRegistrar = (program) => {
  program.command('demo').description('short demonstration run (work in progress)');
};
