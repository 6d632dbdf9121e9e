/** `toolgate/verify`: what MCP server authors import to accept only calls that carry a valid toolgate receipt. */
export { verifyReceipt, type VerifyReceiptOptions } from './verify-receipt.js';
export { requireReceipts, createReceiptGuard, type RequireReceiptsOptions } from './server.js';
export { MemoryReplayCache, type ReplayCache } from '../receipts/replay.js';
export { argsSha256 } from '../receipts/digest.js';
export { CLOCK_SKEW_SECONDS, RECEIPT_ALGS, type ReceiptRefusal } from '../receipts/verify.js';
export { RECEIPT_META_KEY, RECEIPT_TYP, type ReceiptClaims } from '../receipts/sign.js';
export type { JwksSource } from '../receipts/key-source.js';
export { ToolgateError, isToolgateError } from '../errors.js';
