/**
 * Stands in for undici inside dist/proxy.js: client-node uses it for its fetch-based API clients,
 * watches and logs, and builds undici dispatchers only for those, never for the WebSocket options
 * (applyToHTTPSOptions) the ProxyCommand uses. Swapped in by scripts/proxyBundle.mjs.
 */
const unavailable = (): never => {
  throw new Error("undici is not part of Terrarium's ProxyCommand bundle (dist/proxy.js); run `terrarium ssh-proxy` from dist/cli.js instead.");
};

export class Agent {
  constructor() {
    unavailable();
  }
}

export class ProxyAgent {
  constructor() {
    unavailable();
  }
}

export function fetch(): never {
  return unavailable();
}
