/** Every subcommand, registered on the program in the order `--help` lists them. */
import type { Command } from 'commander';
import { register as registerPolicy } from './policy.js';

/** Adds each command module's subcommands to `program`. */
export function registerCommands(program: Command): void {
  void program;
  registerPolicy(program);
}
