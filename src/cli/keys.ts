/** `toolgate keys generate` and `toolgate keys rotate`: the gateway's receipt-signing keys. */
import { Option, type Command } from 'commander';
import { DEFAULT_CONFIG, loadConfig } from '../config/load.js';
import { ToolgateError } from '../errors.js';
import { generateKeyFiles, rotateKeys } from '../receipts/keys.js';
import type { ReceiptAlg } from '../receipts/sign.js';
import { processIO, type CliIO } from './run.js';

const algOption = (): Option => new Option('--alg <alg>', 'signature algorithm').choices(['EdDSA', 'ES256']);

/** Registers `keys generate` and `keys rotate`; output goes to `io` (the process by default). */
export function register(program: Command, io: CliIO = processIO): void {
  const keys = program.command('keys').description('create and rotate the key that signs receipts');

  keys
    .command('generate')
    .description('write DIR/gateway.key.json (private JWK, mode 0600) and DIR/jwks.json (public keys)')
    .requiredOption('--out <dir>', 'folder for the key files (created if missing)')
    .addOption(algOption().default('EdDSA'))
    .option('--json', 'print the result as JSON')
    .action(async (opts: { out: string; alg: ReceiptAlg; json?: boolean }) => {
      const made = await generateKeyFiles(opts.out, opts.alg);
      if (opts.json) {
        io.out(JSON.stringify(made));
        return;
      }
      io.out(
        [
          `wrote ${made.keyPath} (private key, mode 0600: keep it secret)`,
          `wrote ${made.jwksPath} (public JWKS: give it to upstreams that verify receipts)`,
          `kid ${made.kid}`,
          `alg ${made.alg}`,
          `next: set receipts.key to this key file in toolgate.yaml`,
        ].join('\n'),
      );
    });

  keys
    .command('rotate')
    .description('make a new active key; old public keys stay in jwks.json until their receipts expire')
    .option('-c, --config <file>', 'the gateway config', DEFAULT_CONFIG)
    .addOption(algOption().default(undefined, 'the current key\'s'))
    .option('--json', 'print the result as JSON')
    .action(async (opts: { config: string; alg?: ReceiptAlg; json?: boolean }) => {
      const config = await loadConfig(opts.config);
      const keyPath = config.receipts.key;
      if (keyPath === undefined) {
        throw new ToolgateError('TG_USAGE', `${opts.config} sets no receipts.key to rotate; run \`toolgate keys generate --out keys\` and set receipts.key`, {
          details: { file: opts.config, field: 'receipts.key' },
        });
      }
      const rotated = await rotateKeys(keyPath, {
        ttlSeconds: config.receipts.ttlSeconds,
        ...(opts.alg === undefined ? {} : { alg: opts.alg }),
      });
      if (opts.json) {
        io.out(JSON.stringify(rotated));
        return;
      }
      io.out(
        [
          `new active key ${rotated.kid} (${rotated.alg}) in ${rotated.keyPath}`,
          `still published in ${rotated.jwksPath}: ${rotated.retained.join(', ')}`,
          ...(rotated.pruned.length > 0 ? [`pruned (all their receipts expired): ${rotated.pruned.join(', ')}`] : []),
          'restart the gateway to sign with the new key',
        ].join('\n'),
      );
    });
}
