// The package's exports map: what `import 'toolgate'` and `import 'toolgate/verify'` give (from the built dist/).
import { describe, expect, test } from 'vitest';

describe('package exports', () => {
  test("'toolgate' exposes the gateway, policy and receipt functions", async () => {
    const lib = (await import('toolgate')) as Record<string, unknown>;
    for (const name of ['loadConfig', 'startGateway', 'listenHttp', 'loadPolicy', 'compilePolicy', 'evaluate', 'loadReceiptSigner', 'argsSha256', 'verifyLog', 'ToolgateError']) {
      expect(typeof lib[name], name).toBe('function');
    }
  });

  test("'toolgate/verify' exposes the upstream verifier", async () => {
    const verify = (await import('toolgate/verify')) as Record<string, unknown>;
    expect(typeof verify.verifyReceipt).toBe('function');
    expect(typeof verify.requireReceipts).toBe('function');
    expect(verify.RECEIPT_META_KEY).toBe('toolgate/receipt');
  });
});
