/** toolgate's library surface: load a config, start a gateway, evaluate policy, sign and verify receipts. */
export { ToolgateError, isToolgateError, ERROR_CATALOGUE, type ErrorCode } from './errors.js';
export { loadConfig, parseConfig, type LoadedConfig } from './config/load.js';
export { startGateway, type RunningGateway, type StartOptions } from './gateway/start.js';
export { listenHttp, type HttpListener } from './http/listen.js';
export { loadPolicy } from './policy/load.js';
export { compilePolicy } from './policy/compile.js';
export { evaluate } from './policy/evaluate.js';
export { isListed } from './policy/listing.js';
export type { CompiledPolicy, Decision, Effect, EvalContext, Principal, ToolCall } from './policy/types.js';
export { loadReceiptSigner, generateKeyFiles, rotateKeys } from './receipts/keys.js';
export type { ReceiptSigner, ReceiptClaims } from './receipts/sign.js';
export { argsSha256 } from './receipts/digest.js';
export { verifyReceipt, requireReceipts } from './verify/index.js';
export { verifyLog, type VerifyResult } from './log/verify.js';
