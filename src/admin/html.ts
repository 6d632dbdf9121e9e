/** HTML building blocks for the admin pages: escaping, the page shell, the security headers every page carries. */
import { esc } from '../report/html.js';

// One escaping function for every page toolgate renders (the report's).
export { esc };

/** No scripts, no outside resources, forms post only back here, never framed. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Headers on every admin response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{background:#1b1f24;color:#fff;padding:10px 20px;display:flex;gap:16px;align-items:center}
header h1{font-size:16px;margin:0;flex:1}
header form{margin:0}
main{padding:12px 20px;max-width:1400px}
section{background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:12px 16px;margin:12px 0}
h2{font-size:15px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f3;vertical-align:top}
th{font-weight:600;color:#57606a;font-size:12px;text-transform:uppercase}
td.args,td.reason{font-family:ui-monospace,monospace;font-size:12px;overflow-wrap:anywhere;max-width:420px}
td.time{white-space:nowrap}
.allow{color:#1a7f37}.deny{color:#cf222e}.challenge{color:#9a6700}
.ok{color:#1a7f37}.bad{color:#cf222e;font-weight:600}.muted{color:#57606a}
.note{padding:8px 12px;border-radius:4px;margin:8px 0;background:#ddf4ff}
.note.error{background:#ffebe9}
button{font:inherit;padding:2px 10px;border-radius:4px;border:1px solid #8c959f;background:#f6f8fa;cursor:pointer}
button.approve{border-color:#1a7f37;color:#1a7f37}button.deny{border-color:#cf222e;color:#cf222e}
td.actions form{display:inline;margin:0 2px}
form.filters{display:flex;gap:8px;flex-wrap:wrap;align-items:end;margin-bottom:8px}
form.filters label{display:flex;flex-direction:column;font-size:12px;color:#57606a}
input,select{font:inherit;padding:2px 6px}
`;

/** A whole page: `title` in the head and the header bar, `body` as given (already escaped). */
export function page(title: string, body: string, opts: { header?: string; refreshSeconds?: number } = {}): string {
  const refresh = opts.refreshSeconds ? `<meta http-equiv="refresh" content="${opts.refreshSeconds}">` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">${refresh}
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body><header><h1>${esc(title)}</h1>${opts.header ?? ''}</header><main>
${body}
</main></body></html>
`;
}

/** An ISO time as `2025-01-31 14:05:09Z` (UTC), or the text as is when it is not a time. */
export function shortTime(iso: string): string {
  const at = Date.parse(iso);
  return Number.isNaN(at) ? iso : new Date(at).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
