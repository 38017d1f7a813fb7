/** A stand-in for the `cap` addon in tests of live capture without an interface. */
import { EventEmitter } from 'node:events';

/** cap's behaviour (binding.cc): copy each packet into the buffer given to open(), emit 'packet' synchronously. */
export class FakeCap extends EventEmitter {
  static last: FakeCap | undefined;
  static deviceList = () => [{ name: 'veth0', addresses: [{ addr: '10.99.0.1' }] }];
  buffer: Buffer = Buffer.alloc(0);
  open(_device: string, _filter: string, _bufSize: number, buffer: Buffer): string {
    this.buffer = buffer;
    FakeCap.last = this;
    return 'ETHERNET';
  }
  close(): void {}
}
