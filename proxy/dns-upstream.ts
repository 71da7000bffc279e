/**
 * The DNS forwarder's upstream resolver (`--dns-upstream ADDR`): sends a query over UDP with an id of its own
 * (two devices may use the same id), matches the answer by id and source address, gives it back under the
 * device's id, and repeats the query over TCP when the UDP answer comes truncated (TC). Bounded: at most
 * MAX_DNS_FORWARD_PENDING queries in flight, each waiting at most MAX_DNS_FORWARD_WAIT_MS. It reads no answer
 * beyond its header: analysis happens on the device side of the forwarder.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6, connect as tcpConnect } from 'node:net';
import type { Limits } from '../src/model/limits.ts';
import { type HostPort, unmapIPv4 } from './address.ts';

export type UpstreamLimits = Pick<Limits, 'MAX_DNS_FORWARD_PENDING' | 'MAX_DNS_FORWARD_WAIT_MS'>;

/** Why an upstream query gave no answer. */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
}

interface Pending {
  deviceId: number;
  query: Uint8Array;
  resolve(answer: Uint8Array): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class DnsUpstream {
  readonly #addr: HostPort;
  readonly #limits: UpstreamLimits;
  readonly #pending = new Map<number, Pending>();
  #socket: UdpSocket | undefined;
  #nextId = Math.floor(Math.random() * 0x10000);

  constructor(addr: HostPort, limits: UpstreamLimits) {
    this.#addr = addr;
    this.#limits = limits;
  }

  /** The answer to `query` (a whole DNS message), under the query's own id. */
  query(query: Uint8Array): Promise<Uint8Array> {
    if (query.length < 12) return Promise.reject(new UpstreamError('query shorter than a DNS header'));
    if (this.#pending.size >= this.#limits.MAX_DNS_FORWARD_PENDING) {
      return Promise.reject(new UpstreamError('too many queries awaiting the upstream'));
    }
    const id = this.#freeId();
    const deviceId = (query[0] as number) * 256 + (query[1] as number);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#settle(id)?.reject(new UpstreamError('upstream timeout')), this.#wait);
      this.#pending.set(id, { deviceId, query, resolve, reject, timer });
      const out = Buffer.from(query);
      out.writeUInt16BE(id, 0);
      this.#udp().send(out, this.#addr.port, this.#addr.host, (err) => {
        if (err) this.#settle(id)?.reject(new UpstreamError(`upstream send: ${err.message}`));
      });
    });
  }

  /** Stops waiting: pending queries fail, the socket closes. */
  close(): void {
    for (const id of [...this.#pending.keys()]) this.#settle(id)?.reject(new UpstreamError('forwarder closed'));
    this.#socket?.close();
    this.#socket = undefined;
  }

  get #wait(): number {
    return this.#limits.MAX_DNS_FORWARD_WAIT_MS;
  }

  #udp(): UdpSocket {
    if (this.#socket) return this.#socket;
    const socket = createSocket(isIPv6(this.#addr.host) ? 'udp6' : 'udp4');
    socket.on('message', (msg, rinfo) => {
      if (msg.length < 12 || unmapIPv4(rinfo.address) !== this.#addr.host || rinfo.port !== this.#addr.port) return;
      const p = this.#settle(msg.readUInt16BE(0));
      if (!p) return;
      if (((msg[2] as number) & 0x02) !== 0) {
        // Truncated: ask again over TCP (with a wait of its own).
        this.#queryTcp(p.query).then(p.resolve, p.reject);
        return;
      }
      msg.writeUInt16BE(p.deviceId, 0);
      p.resolve(msg);
    });
    socket.on('error', () => this.close());
    this.#socket = socket;
    return socket;
  }

  #settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.#pending.delete(id);
    return p;
  }

  #freeId(): number {
    do this.#nextId = (this.#nextId + 1) & 0xffff;
    while (this.#pending.has(this.#nextId));
    return this.#nextId;
  }

  /** One query over a fresh TCP connection (RFC 7766), the answer's length prefix removed. */
  #queryTcp(query: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const s = tcpConnect(this.#addr.port, this.#addr.host);
      const chunks: Buffer[] = [];
      let have = 0;
      const fail = (why: string) => {
        s.destroy();
        reject(new UpstreamError(why));
      };
      s.setTimeout(this.#wait, () => fail('upstream timeout (TCP)'));
      s.on('error', (err) => fail(`upstream TCP: ${err.message}`));
      s.on('connect', () => {
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(query.length);
        s.end(Buffer.concat([prefix, query]));
      });
      s.on('data', (c: Buffer) => {
        chunks.push(c);
        have += c.length;
        const all = have >= 2 ? Buffer.concat(chunks) : undefined;
        if (!all || all.length < 2 + all.readUInt16BE(0)) return;
        s.destroy();
        resolve(all.subarray(2, 2 + all.readUInt16BE(0)));
      });
      s.on('end', () => fail('upstream closed before answering'));
    });
  }
}
