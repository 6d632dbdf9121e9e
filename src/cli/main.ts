/** The `toolgate` command line: argv, dispatch, exit codes, one stderr line on bad input. */
import { Command, CommanderError } from 'commander';
import { describeFailure, processIO } from './run.js';
import { registerCommands } from './commands.js';

/** Builds the commander program with every subcommand registered. */
export function buildProgram(): Command {
  const program = new Command('toolgate')
    .description('An MCP gateway that enforces tool-call policy')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) => write(`toolgate: ${s.replace(/^error: /, '')}`),
    });
  registerCommands(program);
  for (const sub of program.commands) inherit(sub);
  return program;
}

// Subcommands share the parent's error handling, so every command fails with one line.
function inherit(cmd: Command): void {
  cmd.exitOverride().showHelpAfterError('(run with --help for usage)').configureOutput({
    writeOut: (s) => process.stdout.write(s),
    writeErr: (s) => process.stderr.write(s),
    outputError: (s, write) => write(`toolgate: ${s.replace(/^error: /, '')}`),
  });
  for (const sub of cmd.commands) inherit(sub);
}

/** Runs the CLI with `argv` (without node and script); sets `process.exitCode`. */
export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed as one line.
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    const { exitCode, line } = describeFailure(e);
    if (line) processIO.err(line);
    process.exitCode = exitCode;
  }
}
