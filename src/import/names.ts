/** Names the importer makes: upstream names from client keys, and `${VAR}` names in upper snake case. */
/** The longest upstream name toolgate.yaml accepts (`UPSTREAM_NAME` in config/schema.ts). */
const MAX_UPSTREAM = 32;

// Accents go (café → cafe) before anything outside the charset becomes a separator.
function ascii(text: string): string {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
}

/**
 * A client's server key made into an upstream name (`^[A-Za-z0-9_-]{1,32}$`), unique among
 * `taken` regardless of case (two names differing only by case would confuse people reading
 * logs). Runs of other characters become one `-`, `__` becomes `_`; a clash gets `-2`, `-3`, ...
 * Adds the result to `taken`.
 */
export function upstreamName(key: string, taken: Set<string>): string {
  const base =
    ascii(key)
      .replace(/[^A-Za-z0-9_-]+/g, '-')
      // `__` separates upstream from tool in the names clients see: keep it out of upstream names.
      .replace(/_{2,}/g, '_')
      .replace(/^[-_]+|[-_]+$/g, '')
      .slice(0, MAX_UPSTREAM)
      .replace(/[-_]+$/, '') || 'upstream';
  let name = base;
  for (let n = 2; taken.has(name.toLowerCase()); n++) {
    const suffix = `-${n}`;
    name = `${base.slice(0, MAX_UPSTREAM - suffix.length)}${suffix}`;
  }
  taken.add(name.toLowerCase());
  return name;
}

/** `${VAR}` names that `loadConfig` substitutes: a letter or `_`, then letters, digits, `_`. */
export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Text in upper snake case fit for a variable name: `my server` + `X-Api-Key` → `MY_SERVER_X_API_KEY`. */
export function upperSnake(...parts: readonly string[]): string {
  const joined = parts
    .map((p) => ascii(p).replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, ''))
    .filter(Boolean)
    .join('_')
    .toUpperCase();
  if (joined === '') return 'VALUE';
  return /^[0-9]/.test(joined) ? `_${joined}` : joined;
}

/** An env key as a variable name: itself when it is one already, else in upper snake case. */
export function envVarName(key: string): string {
  return VAR_NAME.test(key) ? key : upperSnake(key);
}
