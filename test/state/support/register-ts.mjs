// Lets a child `node --import ./test/state/support/register-ts.mjs file.ts` run toolgate's TypeScript
// sources directly (Node 20 cannot strip types): tests that need real separate processes use it.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
