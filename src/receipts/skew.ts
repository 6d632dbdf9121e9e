/** The clock-skew allowance shared by receipt verification, replay memory and key retirement. */

/**
 * Seconds of clock difference tolerated between the gateway that signs and the upstream that
 * verifies: a receipt is still accepted up to 30 s after its `exp`, and one whose `iat` (or
 * `nbf`) lies up to 30 s in the future is not yet refused.
 */
export const CLOCK_SKEW_SECONDS = 30;
