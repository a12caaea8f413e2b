import type { Provider } from '@nestjs/common';
import { WsRelayServer } from '@app/gateway/ws/ws-relay.server';

/** The `/v1/ws` relay endpoint (the relay itself is RelayHub in libs/proxy). */
export const WS_RELAY_PROVIDERS: Provider[] = [WsRelayServer];
