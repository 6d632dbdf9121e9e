/** `toolgate receipt verify`: checks a receipt's signature, kid, expiry and, given arguments, its payload hash. */
import type { Command } from 'commander';
import { argsSha256 } from '../receipts/digest.js';
import { keyLookup } from '../receipts/key-source.js';
import { verifyReceiptToken, type VerifiedReceipt } from '../receipts/verify.js';
import { parseJsonObject, processIO, type CliIO } from './run.js';

interface VerifyOptions {
  jwks: string;
  args?: string;
  audience?: string;
  tool?: string;
  json?: boolean;
}

/** Registers `receipt verify`; output goes to `io` (the process by default). */
export function register(program: Command, io: CliIO = processIO, now: () => number = Date.now): void {
  const receipt = program.command('receipt').description('inspect signed receipts');
  receipt
    .command('verify')
    .description('verify a receipt: signature, kid, expiry (30 s clock skew) and, with --args, the arguments hash; exit 0 valid, 1 refused')
    .argument('<token>', 'the receipt (compact JWS)')
    .requiredOption('--jwks <file|url>', 'public keys: a JWKS file, or an https URL such as the gateway\'s /.well-known/jwks.json')
    .option('--args <json>', 'the call arguments as a JSON object; checked against args_sha256')
    .option('--audience <upstream>', 'also require this aud (upstream name)')
    .option('--tool <name>', "also require this tool (the upstream's own tool name)")
    .option('--json', 'print the claims as JSON')
    .action(async (token: string, opts: VerifyOptions) => {
      const expected = opts.args === undefined ? undefined : argsSha256(parseJsonObject(opts.args, '--args'));
      const keys = await keyLookup(opts.jwks);
      const at = now();
      const verified = await verifyReceiptToken(token.trim(), {
        keys,
        now: at,
        ...(expected === undefined ? {} : { argsSha256: expected }),
        ...(opts.audience === undefined ? {} : { audience: opts.audience }),
        ...(opts.tool === undefined ? {} : { tool: opts.tool }),
      });
      io.out(opts.json ? JSON.stringify({ valid: true, header: verified.header, claims: verified.claims }) : describe(verified, expected !== undefined, at));
    });
}

function describe({ claims, header }: VerifiedReceipt, argsChecked: boolean, now: number): string {
  const rows: [string, string][] = [
    ['issuer', claims.iss],
    ['principal', claims.sub],
    ['upstream', claims.aud],
    ['tool', claims.tool],
    ['decision', claims.decision],
    ['rules', claims.rules.length > 0 ? claims.rules.join(', ') : '(none)'],
    ...(claims.approval === undefined ? [] : ([['approval', claims.approval]] as [string, string][])),
    ['policy', claims.policy],
    ['args', `sha256 ${claims.args_sha256} (${argsChecked ? 'matches --args' : 'not checked: no --args'})`],
    ['jti', claims.jti],
    ['issued', iso(claims.iat)],
    ['expires', `${iso(claims.exp)} (${relative(claims.exp - Math.floor(now / 1000))})`],
    ['key', `${header.kid} (${header.alg})`],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return ['receipt valid', ...rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`)].join('\n');
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

function relative(seconds: number): string {
  return seconds >= 0 ? `in ${seconds} s` : `${-seconds} s ago, within the clock skew`;
}
