/**
 * Zeek's per-endpoint TCP states and the `conn_state` summary computed from them
 * (zeek/zeek `src/analyzer/protocol/tcp/TCP_Endpoint.h` `EndpointState`,
 * `scripts/base/protocols/conn/main.zeek` `conn_state()`).
 */

/** Zeek's `EndpointState` (TCP_Endpoint.h), same numbering (Zeek scripts print these numbers). */
export const ZeekState = {
  /** No SYN (or other packet) seen from this end. */
  INACTIVE: 0,
  /** SYN sent, no SYN+ACK. */
  SYN_SENT: 1,
  /** SYN+ACK sent (by an originator: Zeek's "connection_originator_SYN_ack"). */
  SYN_ACK_SENT: 2,
  /** Data or ACKs seen, but no SYN (midstream). */
  PARTIAL: 3,
  /** SYN handshake done, or established by inference. */
  ESTABLISHED: 4,
  /** FIN sent. */
  CLOSED: 5,
  /** RST sent. */
  RESET: 6,
} as const;
export type ZeekEndpointState = (typeof ZeekState)[keyof typeof ZeekState];
/** ZEEK_STATE_NAME[state], e.g. `SYN_ACK_SENT`. */
export const ZEEK_STATE_NAME = Object.keys(ZeekState) as readonly (keyof typeof ZeekState)[];

/** `^?S[^HAFGIQ]*R.*` anchored at the start, as Zeek's `pattern == string` match (whole-string) requires. */
const RSTOS0_HISTORY = /^\^?S[^HAFGIQ]*R/;

/**
 * Zeek's `conn_state` for a TCP connection, exactly as `conn_state()` in `scripts/base/protocols/conn/main.zeek`:
 * S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR OTH. `origSize`/`respSize` are the ends' sequence-space byte
 * counts (Zeek's `c$orig$size`), needed only to tell REJ from RSTR when both ends reset.
 */
export function connState(
  orig: ZeekEndpointState,
  resp: ZeekEndpointState,
  history: string,
  origSize = 0,
  respSize = 0,
): string {
  const oInactive = orig === ZeekState.INACTIVE || orig === ZeekState.PARTIAL;
  const rInactive = resp === ZeekState.INACTIVE || resp === ZeekState.PARTIAL;
  if (resp === ZeekState.RESET) {
    if (
      orig === ZeekState.SYN_SENT ||
      orig === ZeekState.SYN_ACK_SENT ||
      (orig === ZeekState.RESET && origSize === 0 && respSize === 0)
    )
      return 'REJ';
    return oInactive ? 'RSTRH' : 'RSTR';
  }
  if (orig === ZeekState.RESET) {
    if (rInactive) return RSTOS0_HISTORY.test(history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (resp === ZeekState.CLOSED && orig === ZeekState.CLOSED) return 'SF';
  if (orig === ZeekState.CLOSED) return rInactive ? 'SH' : 'S2';
  if (resp === ZeekState.CLOSED) return oInactive ? 'SHR' : 'S3';
  if (orig === ZeekState.SYN_SENT && resp === ZeekState.INACTIVE) return 'S0';
  if (orig === ZeekState.ESTABLISHED && resp === ZeekState.ESTABLISHED) return 'S1';
  return 'OTH';
}

/**
 * Zeek's `conn_state` for UDP: `SF` both sides sent, `S0` only the originator, `SHR` only the responder, `OTH` neither.
 */
export function udpConnState(origSent: boolean, respSent: boolean): string {
  if (origSent) return respSent ? 'SF' : 'S0';
  return respSent ? 'SHR' : 'OTH';
}
