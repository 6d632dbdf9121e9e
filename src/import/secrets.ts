/**
 * Keeps credentials out of the generated config: env and header values become `${VAR}`
 * references, credentials spotted in args and URLs too. Values are compared, never returned.
 */
import { envVarName, upperSnake } from './names.js';

/** A variable the generated config reads from the gateway's environment. */
export interface RequiredVariable {
  readonly name: string;
  /** What it stands for, e.g. `env GITHUB_TOKEN of upstream github`; never the value. */
  readonly uses: readonly string[];
  /** True when the input itself referenced it (`${NAME}`, `${env:NAME}`): the user's own variable. */
  readonly referenced: boolean;
}

/**
 * The variables one import needs. A name is shared only by uses with the same value (or by
 * references the input already made to that name); otherwise the next candidate, then `_2`, `_3`.
 */
export class Variables {
  readonly #byName = new Map<string, { value: string | undefined; uses: string[] }>();

  /** Records `${name}` written in the input itself (Claude Code, VS Code `${env:...}`): its value is the user's. */
  reference(name: string, use: string): void {
    const found = this.#byName.get(name);
    if (found) found.uses.push(use);
    else this.#byName.set(name, { value: undefined, uses: [use] });
  }

  /** A name for `value`, from `candidates` (most wanted first). */
  claim(candidates: readonly string[], value: string, use: string): string {
    const tryName = (name: string): boolean => {
      const found = this.#byName.get(name);
      if (!found) {
        this.#byName.set(name, { value, uses: [use] });
        return true;
      }
      if (found.value !== undefined && found.value === value) {
        found.uses.push(use);
        return true;
      }
      return false;
    };
    for (const name of candidates) if (tryName(name)) return name;
    const last = candidates[candidates.length - 1] ?? 'VALUE';
    for (let n = 2; ; n++) if (tryName(`${last}_${n}`)) return `${last}_${n}`;
  }

  /** Every variable, in the order first claimed or referenced. */
  list(): RequiredVariable[] {
    return [...this.#byName].map(([name, { value, uses }]) => ({ name, uses: [...new Set(uses)], referenced: value === undefined }));
  }
}

/** `${NAME}` or `${NAME:-default}`, exactly as `loadConfig` substitutes them. */
const GATEWAY_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g;
/** VS Code's `${env:NAME}`: the same thing under another spelling. */
const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;
/** Variables only the client can resolve: prompts, commands, settings, editor state. */
const CLIENT_ONLY = new RegExp(
  String.raw`\$\{(?:(?:input|command|config):[^}]*|` +
    [
      'workspaceFolder',
      'workspaceFolderBasename',
      'workspaceRoot',
      'userHome',
      'cwd',
      'file',
      'fileBasename',
      'fileBasenameNoExtension',
      'fileDirname',
      'fileDirnameBasename',
      'fileExtname',
      'fileWorkspaceFolder',
      'relativeFile',
      'relativeFileDirname',
      'lineNumber',
      'selectedText',
      'execPath',
      'pathSeparator',
      '/',
      'defaultBuildTask',
    ]
      .map((v) => v.replace(/[/]/g, '\\/'))
      .join('|') +
    String.raw`)\}`,
);

/** The first client-only variable (`${input:token}`, `${workspaceFolder}`) in `text`, if any. */
export function clientOnlyVariable(text: string): string | undefined {
  return CLIENT_ONLY.exec(text)?.[0];
}

/** VS Code's `${env:NAME}` rewritten to the gateway's `${NAME}`. */
export function gatewayRefs(text: string): string {
  return text.replace(ENV_REF, (_m, name: string) => `\${${name}}`);
}

/** The variables `text` references without a default (so they must be set). */
export function requiredRefs(text: string): string[] {
  return [...text.matchAll(GATEWAY_REF)].filter((m) => m[2] === undefined).map((m) => m[1] as string);
}

/** True when `text` already points at the environment instead of holding a value. */
function isIndirect(text: string): boolean {
  return [...text.matchAll(GATEWAY_REF)].length > 0 && clientOnlyVariable(text) === undefined;
}

/**
 * An env value for toolgate.yaml: a reference the input already made stays; an empty value stays
 * empty; anything else becomes `${VAR}` with a name from `candidates`.
 */
export function envValue(value: string, candidates: readonly string[], use: string, vars: Variables): string {
  if (value === '') return '';
  const rewritten = gatewayRefs(value);
  if (isIndirect(rewritten)) return rewritten;
  return `\${${vars.claim(candidates, value, use)}}`;
}

/** Authorization schemes kept in clear before the credential, as in `Bearer ${REMOTE_TOKEN}`. */
const SCHEME = /^(Bearer|Basic|Token|Bot)\s+(\S.*)$/i;

/** A header value for toolgate.yaml: like `envValue`, keeping a leading auth scheme in clear. */
export function headerValue(value: string, candidates: readonly string[], use: string, vars: Variables): string {
  if (value === '') return '';
  const rewritten = gatewayRefs(value);
  if (isIndirect(rewritten)) return rewritten;
  const scheme = SCHEME.exec(value);
  if (scheme?.[1] !== undefined && scheme[2] !== undefined) {
    return `${scheme[1]} \${${vars.claim(candidates, scheme[2], `${use} (the credential after "${scheme[1]} ")`)}}`;
  }
  return `\${${vars.claim(candidates, value, use)}}`;
}

// Names that say "credential", after camelCase and separators became `_`: api_key, token, ...
const SECRET_NAME = /(^|_)(api_?key|apikey|key|token|access_?token|auth_?token|refresh_?token|secret|client_?secret|password|passwd|pwd|credentials?|pat)$/i;

/** True when a flag, query parameter or variable name says it holds a credential. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[-.]/g, '_'));
}

// Well-known token formats (GitHub, GitLab, Slack, OpenAI/Anthropic/Stripe, AWS) seen as bare arguments.
const TOKEN_SHAPE = /^(ghp_|gho_|ghu_|ghs_|ghr_|github_pat_|glpat-|xox[abprs]-|sk-|sk_live_|sk_test_|rk_live_|AKIA)[A-Za-z0-9_-]{16,}$/;

/** True when `text` looks like a known token format. */
export function looksLikeToken(text: string): boolean {
  return TOKEN_SHAPE.test(text) && /[0-9]/.test(text);
}

const FLAG = /^--?([A-Za-z][A-Za-z0-9_.-]*)(?:=([\s\S]*))?$/;
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]+)$/;
const URL_PASSWORD = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^:@/?#\s]*:)([^@/?#\s]+)(@)/;

/** What `withoutCredentials` changed in an argument list or URL, by name. */
export interface CredentialHit {
  /** e.g. `argument --api-key`, `password in argument 3`. */
  readonly what: string;
  readonly variable: string;
}

/**
 * Args with credentials replaced by `${VAR}`: values of secret-named flags (`--api-key X`,
 * `--token=X`), `-e KEY=VALUE` / `KEY=VALUE` for secret-named keys (all keys after `-e`/`--env`,
 * like env), URL passwords and secret-named query parameters, and well-known token formats.
 * Everything else is kept as written.
 */
export function argsWithoutCredentials(
  server: string,
  args: readonly string[],
  vars: Variables,
): { args: string[]; hits: CredentialHit[] } {
  const out = [...args];
  const hits: CredentialHit[] = [];
  const take = (value: string, candidates: readonly string[], what: string): string => {
    const variable = vars.claim(candidates, value, `${what} of upstream ${server}`);
    hits.push({ what, variable });
    return `\${${variable}}`;
  };
  for (let i = 0; i < out.length; i++) {
    const arg = out[i] as string;
    if (isIndirect(arg)) continue;
    const flag = FLAG.exec(arg);
    if (flag?.[1] !== undefined && isSecretName(flag[1])) {
      const name = flag[1];
      if (flag[2] !== undefined) {
        if (flag[2] !== '') out[i] = `${arg.slice(0, arg.length - flag[2].length)}${take(flag[2], [upperSnake(server, name)], `argument ${arg.split('=')[0]}`)}`;
        continue;
      }
      const next = out[i + 1];
      if (next !== undefined && next !== '' && !next.startsWith('-') && !isIndirect(next)) {
        out[i + 1] = take(next, [upperSnake(server, name)], `argument ${arg}`);
        i++;
      }
      continue;
    }
    const afterEnvFlag = i > 0 && (out[i - 1] === '-e' || out[i - 1] === '--env');
    const assignment = ASSIGNMENT.exec(arg);
    if (assignment?.[1] !== undefined && assignment[2] !== undefined && (afterEnvFlag || isSecretName(assignment[1]))) {
      const key = assignment[1];
      out[i] = `${key}=${take(assignment[2], [envVarName(key), upperSnake(server, key)], `argument ${key}=…`)}`;
      continue;
    }
    if (looksLikeToken(arg)) {
      out[i] = take(arg, [upperSnake(server, 'TOKEN')], `token in argument ${i + 1}`);
      continue;
    }
    if (arg.includes('://')) out[i] = urlWithoutCredentials(server, arg, `argument ${i + 1}`, vars, hits);
  }
  return { args: out, hits };
}

/**
 * A URL with its password (`scheme://user:PASSWORD@host`) and secret-named query parameters
 * (`?api_key=...`) replaced by `${VAR}`; the rest as written. Appends what it changed to `hits`.
 */
export function urlWithoutCredentials(server: string, url: string, where: string, vars: Variables, hits: CredentialHit[]): string {
  let out = url.replace(URL_PASSWORD, (_m, head: string, password: string, at: string) => {
    if (isIndirect(password)) return `${head}${password}${at}`;
    const what = `password in ${where}`;
    const variable = vars.claim([upperSnake(server, 'PASSWORD')], password, `${what} of upstream ${server}`);
    hits.push({ what, variable });
    return `${head}\${${variable}}${at}`;
  });
  out = out.replace(/([?&])([^=&#]+)=([^&#]*)/g, (whole, sep: string, name: string, value: string) => {
    if (value === '' || !isSecretName(decodeSafely(name)) || isIndirect(value)) return whole;
    const what = `query parameter ${decodeSafely(name)} in ${where}`;
    const variable = vars.claim([upperSnake(server, decodeSafely(name))], value, `${what} of upstream ${server}`);
    hits.push({ what, variable });
    return `${sep}${name}=\${${variable}}`;
  });
  return out;
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
