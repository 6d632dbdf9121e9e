// Runs `toolgate approvals …` in its own process, as cli/main.ts would (for test/cli/approvals.test.ts).
// Only the approvals command is registered, so the process starts without loading the whole CLI.
import { Command, CommanderError } from 'commander';
import { register } from '../../../src/cli/approvals.js';
import { describeFailure, processIO } from '../../../src/cli/run.js';

const program = new Command('toolgate').exitOverride();
register(program);
program.commands.forEach(function quiet(cmd: Command): void {
  cmd.exitOverride();
  cmd.commands.forEach(quiet);
});
try {
  await program.parseAsync(process.argv.slice(2), { from: 'user' });
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    const { exitCode, line } = describeFailure(e);
    if (line) processIO.err(line);
    process.exitCode = exitCode;
  }
}
