/**
 * QUIC client Initials: the key schedule against RFC 9001 Appendix A.1, and the decryption of the real Initials of
 * zeek/ppp-quic-retry.pcap (a connection that goes through a Retry, so the second Initial is under new keys), whose
 * server name tshark reads as `server4:443`; cut and damaged packets fail without throwing.
 */
import { describe, expect, it } from 'vitest';
import { decodeFrame, viewFor } from '../../src/decode/index.js';
import { DecodedPacket, IpProto } from '../../src/decode/packet.js';
import { clientInitialKeys, decryptInitial, feedInitial, parseInitialHeader, QuicCrypto, QuicHeader } from '../../src/inspect/quic.js';
import { payloadText } from '../../src/inspect/text.js';
import { alpnText, TlsHello } from '../../src/inspect/tls.js';
import { openCapture } from '../../src/source/open.js';
import { CORPUS, HAVE_CORPUS } from '../helpers/corpus.js';
import { hex, patch } from '../helpers/decode-frames.js';

describe('QUIC Initial keys (RFC 9001 §5.2, Appendix A.1)', () => {
  it('derives the client key, IV and header-protection key from the Destination Connection ID 0x8394c8f03e515708', () => {
    const keys = clientInitialKeys(1, hex('8394c8f03e515708'));
    expect(keys.key.toString('hex')).toBe('1f369613dd76d5467730efcbe3b1a22d');
    expect(keys.iv.toString('hex')).toBe('fa044b2f42a3fd3b46fb255c');
    expect(keys.hp.toString('hex')).toBe('9f50449e04a0e810283a1e9933adedd2');
  });
});

/** The UDP payloads of at least 1200 bytes in a capture, in order. */
async function bigUdpPayloads(path: string): Promise<Uint8Array[]> {
  const src = await openCapture(path);
  const p = new DecodedPacket();
  const out: Uint8Array[] = [];
  try {
    while (await src.pump((fr) => {
      decodeFrame(p, fr.bytes, viewFor(fr.bytes), fr.offset, fr.caplen, fr.linkType);
      if (p.status === 0 && p.proto === IpProto.UDP && p.payloadCaptured >= 1200) out.push(p.bytes.slice(p.payload, p.payload + p.payloadCaptured));
    }));
  } finally {
    await src.close();
  }
  return out;
}

describe.skipIf(!HAVE_CORPUS)('QUIC client Initials of zeek/ppp-quic-retry.pcap', () => {
  it('decrypts both Initials (before and after the Retry) and reads the ClientHello: server4:443, hq-interop', async () => {
    const datagrams = await bigUdpPayloads(`${CORPUS}/zeek/ppp-quic-retry.pcap`);
    expect(datagrams.length).toBeGreaterThanOrEqual(2);
    const h = new QuicHeader();
    const crypto = new QuicCrypto();
    let decrypted = 0;
    for (const d of datagrams) if (feedInitial(d, 0, d.length, h, crypto)) decrypted++;
    expect(decrypted).toBe(2);
    const hello = new TlsHello();
    expect(crypto.clientHello(hello)).toBe(true);
    expect(payloadText(crypto.data, hello.sniOff, hello.sniLen)).toBe('server4:443');
    expect(alpnText(crypto.data, hello.alpnOff, hello.alpnLen, payloadText)).toBe('hq-interop');
  });

  it('a cut, lying or damaged Initial is refused without an exception', async () => {
    const [d] = await bigUdpPayloads(`${CORPUS}/zeek/ppp-quic-retry.pcap`);
    const h = new QuicHeader();
    expect(parseInitialHeader(d!, 0, d!.length, h)).toBe(true);
    const keys = clientInitialKeys(h.version, d!.subarray(h.dcidOff, h.dcidOff + h.dcidLen));
    expect(decryptInitial(d!, 0, h, keys)).not.toBeNull();
    // Cut anywhere inside the packet: the Length field then runs past the datagram.
    for (let n = 0; n < h.packetEnd; n += 7) expect(parseInitialHeader(d!, 0, n, h), `cut at ${n}`).toBe(false);
    // One byte of ciphertext changed: the AEAD tag does not verify.
    expect(parseInitialHeader(d!, 0, d!.length, h)).toBe(true);
    const damaged = patch(d!, h.packetEnd - 40, d![h.packetEnd - 40]! ^ 1);
    expect(decryptInitial(damaged, 0, h, keys)).toBeNull();
    // A Destination Connection ID of 21 bytes (RFC 9000 allows 20), a version nobody speaks, a short header.
    expect(parseInitialHeader(patch(d!, 5, 21), 0, d!.length, h)).toBe(false);
    expect(parseInitialHeader(patch(d!, 1, 0x0a), 0, d!.length, h)).toBe(false);
    expect(parseInitialHeader(patch(d!, 0, 0x40), 0, d!.length, h)).toBe(false);
    // Under the keys of another connection ID, nothing decrypts, and nothing is gathered.
    const crypto = new QuicCrypto();
    crypto.keys = clientInitialKeys(1, hex('0001020304050607'));
    expect(feedInitial(patch(d!, 6, d![6]! ^ 0xff), 0, d!.length, h, crypto)).toBe(false);
    expect(crypto.contiguous()).toBe(0);
  });
});
