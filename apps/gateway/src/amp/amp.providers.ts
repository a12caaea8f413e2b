import type { Provider } from '@nestjs/common';
import { AmpFallback } from '@app/gateway/amp/amp-fallback.service';
import { AmpProxy } from '@app/gateway/amp/amp-proxy.service';
import { AmpRoutes } from '@app/gateway/amp/amp.routes';
import { AmpWebSocketProxy } from '@app/gateway/amp/amp-websocket.proxy';

/**
 * The Amp CLI integration: its routes, the reverse proxy (HTTP and WebSocket), and the
 * provider-route fallback.
 */
export const AMP_PROVIDERS: Provider[] = [AmpProxy, AmpFallback, AmpRoutes, AmpWebSocketProxy];
