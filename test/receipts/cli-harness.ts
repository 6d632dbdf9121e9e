// Runs one toolgate subcommand in process, the way cli/main.ts does: captured output, exit code, one error line.
import { Command, CommanderError } from 'commander';
import { describeFailure, type CliIO } from '../../src/cli/run.js';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function runCli(register: (program: Command, io: CliIO) => void, argv: readonly string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: CliIO = {
    out: (text) => void (out += text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => void (err += text.endsWith('\n') ? text : `${text}\n`),
    isTTY: false,
  };
  const program = new Command('toolgate');
  register(program, io);
  const quiet = (cmd: Command): void => {
    cmd.exitOverride().configureOutput({
      writeOut: (s) => void (out += s),
      writeErr: (s) => void (err += s),
      outputError: (s, write) => write(`toolgate: ${s.replace(/^error: /, '')}`),
    });
    for (const sub of cmd.commands) quiet(sub);
  };
  quiet(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return { code: 0, out, err };
  } catch (e) {
    if (e instanceof CommanderError) return { code: e.exitCode === 0 ? 0 : 2, out, err };
    const { exitCode, line } = describeFailure(e);
    return { code: exitCode, out, err: line ? `${err}${line}\n` : err };
  }
}
