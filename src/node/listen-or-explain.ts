import { IdbridgeError } from '../core/errors.js';
import type { HttpApp } from '../http/create-http-app.js';

const WHY: Record<string, string> = {
  EADDRINUSE: 'is already in use; stop the process holding it or choose another port',
  EACCES: 'may not be bound by this user (ports below 1024 need privileges); choose another port',
  EADDRNOTAVAIL: 'names an address this host does not have; use one of its addresses or 0.0.0.0',
};

/**
 * Binds a listener; a bind that fails for a reason the operator can fix
 * becomes one line naming the setting, not a stack trace.
 */
export async function listenOrExplain(
  app: HttpApp,
  listener: { host: string; port: number },
  setting: string,
): Promise<string> {
  try {
    return await app.listen({ ...listener });
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    const why = WHY[code];
    if (!why) throw err;
    throw new IdbridgeError(
      'CONFIG_INVALID',
      `${setting}: ${listener.host}:${listener.port} ${why} (${code})`,
      { cause: err },
    );
  }
}

/**
 * Binds a node's two listeners from `node.partnerListener` and
 * `node.internalListener` (the internal one serves the messenger's app API).
 */
export async function listenNodeListeners(
  apps: { partner: HttpApp; internal: HttpApp },
  node: {
    partnerListener: { host: string; port: number };
    internalListener: { host: string; port: number };
  },
): Promise<{ partnerUrl: string; internalUrl: string }> {
  const partnerUrl = await listenOrExplain(
    apps.partner,
    node.partnerListener,
    'node.partnerListener',
  );
  const internalUrl = await listenOrExplain(
    apps.internal,
    node.internalListener,
    'node.internalListener',
  );
  return { partnerUrl, internalUrl };
}
