import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ConfigService } from '@app/config';
import { AddressSet, clientAddress, isForeignBrowserRequest, isLoopback } from '@app/common';

/** Decides who a request comes from: the socket peer, or a trusted proxy's X-Forwarded-For. */
@Injectable()
export class PeerService {
  private trusted: AddressSet;

  constructor(config: ConfigService) {
    this.trusted = new AddressSet(config.current['trusted-proxies']);
    config.onChange((next) => {
      this.trusted = new AddressSet(next['trusted-proxies']);
    });
  }

  /** The client's address. */
  address(req: FastifyRequest): string {
    return clientAddress(
      req.raw.socket.remoteAddress,
      req.headers['x-forwarded-for'],
      this.trusted,
    );
  }

  /**
   * True when the client is a program on this machine (never because of a header from an
   * untrusted peer, never a web page from elsewhere open in a local browser).
   */
  isLocal(req: FastifyRequest): boolean {
    return isLoopback(this.address(req)) && !isForeignBrowserRequest(req.headers);
  }

  /** True when an address from `address()` is on this machine. */
  isLocalAddress(address: string): boolean {
    return isLoopback(address);
  }
}
