/** Every subcommand, registered on the program in the order `--help` lists them. */
import type { Command } from 'commander';
import { register as registerServe } from './serve.js';
import { register as registerCheck } from './check.js';
import { register as registerValidate } from './validate.js';
import { register as registerPins } from './pins.js';
import { register as registerPolicy } from './policy.js';
import { register as registerKeys } from './keys.js';
import { register as registerReceipt } from './receipt.js';
import { register as registerApprovals } from './approvals.js';
import { register as registerLogs } from './logs.js';
import { register as registerReport } from './report.js';
import { register as registerImport } from './import.js';

/** Adds each command module's subcommands to `program`. */
export function registerCommands(program: Command): void {
  registerServe(program);
  registerCheck(program);
  registerValidate(program);
  registerPins(program);
  registerPolicy(program);
  registerKeys(program);
  registerReceipt(program);
  registerApprovals(program);
  registerLogs(program);
  registerReport(program);
  registerImport(program);
}
