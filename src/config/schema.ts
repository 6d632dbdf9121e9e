/** Strict zod schema for toolgate.yaml, exactly as PRODUCT.md "Configuration" writes it. */
import { z } from 'zod';
import { parseDuration } from '../duration.js';
import { isLoopback } from '../net.js';

const duration = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected a duration such as 500ms, 30s, 5m, 1h or 7d' });
      return z.NEVER;
    }
    return ms;
  });

const nonEmpty = z.string().min(1);
const port = z.number().int().min(0).max(65535);

/** An upstream's name: it becomes the policy's `server` and the `<upstream>__` prefix. */
export const UPSTREAM_NAME = /^[A-Za-z0-9_-]{1,32}$/;

const principal = z.strictObject({
  id: nonEmpty,
  roles: z.array(nonEmpty).default([]),
});

const auth = z
  .strictObject({
    tokens: z
      .array(z.strictObject({ token: z.string().min(16, 'tokens must be at least 16 characters'), principal: nonEmpty, roles: z.array(nonEmpty).default([]) }))
      .optional(),
    jwt: z
      .strictObject({
        issuer: z.url().refine((u) => u.startsWith('https://') || (u.startsWith('http://') && isLoopback(new URL(u).hostname)), {
          message: 'the issuer must be https (http only on loopback)',
        }),
        audience: nonEmpty,
        jwks: nonEmpty,
        principal_claim: nonEmpty.default('sub'),
        roles_claim: nonEmpty.default('roles'),
      })
      .optional(),
  })
  .refine((a) => a.tokens !== undefined || a.jwt !== undefined, { message: 'auth needs tokens or jwt' });

const listen = z
  .strictObject({
    transport: z.enum(['stdio', 'http']),
    host: nonEmpty.default('127.0.0.1'),
    port: port.default(8787),
    allowed_origins: z.array(nonEmpty).default([]),
    auth: auth.optional(),
  })
  .superRefine((l, ctx) => {
    if (l.transport === 'http' && !isLoopback(l.host) && l.auth === undefined) {
      ctx.addIssue({ code: 'custom', path: ['host'], message: `auth is required when host is not a loopback address (${l.host})` });
    }
  });

const stdioUpstream = z.strictObject({
  transport: z.literal('stdio'),
  command: nonEmpty,
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  cwd: nonEmpty.optional(),
  timeout: duration.default(60_000),
});

const httpUpstream = z.strictObject({
  transport: z.literal('http'),
  url: z.url(),
  headers: z.record(z.string(), z.string()).default({}),
  timeout: duration.default(60_000),
});

/** One upstream MCP server. */
export const upstreamSchema = z.discriminatedUnion('transport', [stdioUpstream, httpUpstream]);

/** The whole toolgate.yaml. Unknown keys anywhere are errors. */
export const configSchema = z.strictObject({
  gateway: z.strictObject({
    name: nonEmpty,
    listen: listen.default({ transport: 'stdio', host: '127.0.0.1', port: 8787, allowed_origins: [] }),
    principal: principal.default({ id: 'local', roles: [] }),
  }),
  upstreams: z
    .record(z.string().regex(UPSTREAM_NAME, 'upstream names are 1-32 of [A-Za-z0-9_-]'), upstreamSchema)
    .refine((u) => Object.keys(u).length > 0, { message: 'at least one upstream is needed' }),
  policy: z.strictObject({ files: z.array(nonEmpty).min(1) }),
  receipts: z
    .strictObject({ key: nonEmpty.optional(), ttl: duration.default(120_000) })
    .default({ ttl: 120_000 }),
  log: z.strictObject({
    path: nonEmpty,
    redact: z.array(nonEmpty).default([]),
    checkpoint: z
      .strictObject({ every: z.number().int().min(1).default(1000), interval: duration.default(60_000) })
      .default({ every: 1000, interval: 60_000 }),
  }),
  state: z
    .strictObject({ path: nonEmpty.optional(), redis: z.string().regex(/^rediss?:\/\//, 'expected a redis:// URL').optional() })
    .default({}),
  limits: z
    .strictObject({
      max_request_bytes: z.number().int().min(1024).default(1_048_576),
      max_concurrent_calls: z.number().int().min(1).default(64),
    })
    .default({ max_request_bytes: 1_048_576, max_concurrent_calls: 64 }),
  pins: z.enum(['enforce', 'warn', 'off']).default('enforce'),
  admin: z
    .strictObject({
      listen: z.strictObject({ host: nonEmpty.default('127.0.0.1'), port: port.default(8788) }),
      token: z.string().min(16, 'the admin token must be at least 16 characters'),
    })
    .optional(),
});

/** toolgate.yaml as written, after defaults, before paths are resolved. */
export type RawConfig = z.infer<typeof configSchema>;
/** One upstream as written. */
export type UpstreamConfig = z.infer<typeof upstreamSchema>;
