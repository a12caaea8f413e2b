import { All, Controller, Get } from '@nestjs/common';
import { managementError } from '@app/common';
import { ManagementRoute } from '@app/management';

/** `GET /plugins` when no plugin host exists: CLIProxyAPI's shape with nothing in it. */
export interface PluginList {
  plugins_enabled: false;
  plugins_dir: string;
  plugins: [];
}

const XAI =
  'xAI (Grok) credentials and logins are not supported by this gateway; use an openai-compatibility entry for an xAI API key';
const INTERACTIONS =
  'the Gemini Interactions API is not supported by this gateway; use gemini-api-key for Gemini keys';
const PLUGINS = 'plugins are not supported by this gateway (it has no plugin host)';

function notImplemented(message: string): never {
  throw managementError(501, message);
}

/**
 * Management routes newer CLIProxyAPI versions (and their Management Center) have and this
 * gateway does not: the plugin listings answer empty, so the UI shows no plugins; everything else
 * answers 501 naming the feature, where a bare 404 would read as a broken deployment.
 */
@Controller('v0/management')
@ManagementRoute()
export class UnsupportedController {
  @Get('plugins')
  plugins(): PluginList {
    return { plugins_enabled: false, plugins_dir: '', plugins: [] };
  }

  @Get('plugin-store')
  pluginStore(): PluginList & { source_errors: [] } {
    return { plugins_enabled: false, plugins_dir: '', plugins: [], source_errors: [] };
  }

  // Routes that only make sense once a plugin is listed; answered for any method.
  @All(['plugins/:id', 'plugins/:id/enabled', 'plugins/:id/config', 'plugin-store/:id/install'])
  plugin(): never {
    return notImplemented(PLUGINS);
  }

  @All(['xai-auth-url', 'xai-api-key'])
  xai(): never {
    return notImplemented(XAI);
  }

  @All('interactions-api-key')
  interactions(): never {
    return notImplemented(INTERACTIONS);
  }
}
