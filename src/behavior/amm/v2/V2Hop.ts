import type { V2Fee } from "./v2Fee.ts";

/** One pool of a V2 route, reserves oriented in the direction of travel. */
export interface V2Hop {
  reserveIn: bigint;
  reserveOut: bigint;
  /** Default 0.3 % (997 / 1000). */
  fee?: V2Fee;
}
