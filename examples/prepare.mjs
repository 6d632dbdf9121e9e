// First-run setup for `npm start`: makes the example's signing key if it is not there yet.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const keys = fileURLToPath(new URL('./keys', import.meta.url));
if (!existsSync(`${keys}/gateway.key.json`)) {
  const bin = fileURLToPath(new URL('../bin/toolgate', import.meta.url));
  execFileSync(process.execPath, [bin, 'keys', 'generate', '--out', keys], { stdio: ['ignore', 'ignore', 'inherit'] });
  process.stderr.write(`made the example's receipt signing key in ${keys} (first run only)\n`);
}
