/**
 * QUIC client Initials: the key schedule against RFC 9001 Appendix A.1, and the decryption of the real Initials of
 * zeek/ppp-quic-retry.pcap (a connection that goes through a Retry, so the second Initial is under new keys), whose
 * server name tshark reads as `server4:443`; cut and damaged packets fail without throwing.
 */
import { createCipheriv } from 'node:crypto';
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

/**
 * A client Initial of version 1 for Destination Connection ID 0x8394c8f03e515708 (RFC 9001 Appendix A's), packet
 * number 2, protected as RFC 9001 §5.3-5.4 describe, carrying `frames` padded to 1162 bytes (a 1200-byte datagram).
 */
function protectedInitial(frames: Uint8Array): Uint8Array {
  const keys = clientInitialKeys(1, hex('8394c8f03e515708'));
  const plain = new Uint8Array(1162);
  plain.set(frames);
  const pn = 2;
  const length = 4 + plain.length + 16;
  const header = Uint8Array.from([0xc3, 0, 0, 0, 1, 8, ...hex('8394c8f03e515708'), 0, 0, 0x40 | (length >> 8), length & 0xff, 0, 0, 0, pn]);
  const nonce = Buffer.from(keys.iv);
  nonce[11] = nonce[11]! ^ pn;
  const c = createCipheriv('aes-128-gcm', keys.key, nonce);
  c.setAAD(header);
  const sealed = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  const pnOff = header.length - 4;
  const mask = createCipheriv('aes-128-ecb', keys.hp, null).update(sealed.subarray(0, 16)); // sample at pnOff + 4
  header[0] = header[0]! ^ (mask[0]! & 0x0f);
  for (let i = 0; i < 4; i++) header[pnOff + i] = header[pnOff + i]! ^ mask[1 + i]!;
  return Uint8Array.from([...header, ...sealed]);
}

describe('QUIC Initial decryption (RFC 9001 §5.3-5.4)', () => {
  const keys = clientInitialKeys(1, hex('8394c8f03e515708'));
  const decrypt = (packet: Uint8Array): Buffer | null => {
    const h = new QuicHeader();
    expect(parseInitialHeader(packet, 0, packet.length, h)).toBe(true);
    return decryptInitial(packet, 0, h, keys);
  };

  it('decrypts an Initial whose first frame is one an Initial may carry: CRYPTO, PADDING, PING, ACK, CONNECTION_CLOSE', () => {
    for (const first of [0x06, 0x00, 0x01, 0x02, 0x03, 0x1c]) {
      const frames = Uint8Array.from([first, 0, 4, 1, 2, 3, 4]);
      const plain = decrypt(protectedInitial(frames));
      expect(plain?.subarray(0, frames.length)).toEqual(Buffer.from(frames));
    }
  });

  it('takes the CRYPTO frames of an Initial that decrypts, and refuses one whose frames no Initial may carry (RFC 9000 §17.2.2)', () => {
    const feed = (frames: number[]): boolean => {
      const packet = protectedInitial(Uint8Array.from(frames));
      expect(packet.length).toBeGreaterThanOrEqual(1200);
      return feedInitial(packet, 0, packet.length, new QuicHeader(), new QuicCrypto());
    };
    expect(feed([0x06, 0, 4, 1, 2, 3, 4])).toBe(true);
    expect(feed([0x01, 0x06, 0, 4, 1, 2, 3, 4])).toBe(true);
    for (const first of [0x04, 0x07, 0x08, 0x1d, 0x30]) expect(feed([first, 0, 1, 2])).toBe(false);
  });

  it('refuses an Initial whose tag does not authenticate', () => {
    const packet = protectedInitial(Uint8Array.from([0x06, 0, 4, 1, 2, 3, 4]));
    packet[packet.length - 1] = packet[packet.length - 1]! ^ 1;
    expect(decrypt(packet)).toBeNull();
  });
});

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
