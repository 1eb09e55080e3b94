/**
 * Stands in for client-node's generated API and models (its dist/gen/index.js) inside dist/proxy.js.
 * The ProxyCommand uses client-node's KubeConfig only for credentials and TLS
 * (applyToHTTPSOptions); KubeConfig imports the generated code just for makeApiClient, which the
 * proxy never calls. Swapped in by scripts/proxyBundle.mjs; a call means a client-node update
 * started using it on the proxy's path, which the connect tests would show at once.
 */
const unavailable = (what: string): never => {
  throw new Error(`${what} is not part of Terrarium's ProxyCommand bundle (dist/proxy.js); run \`terrarium ssh-proxy\` from dist/cli.js instead.`);
};

export function createConfiguration(): never {
  return unavailable("client-node's API client configuration");
}

export class ServerConfiguration {
  constructor() {
    unavailable("client-node's API server configuration");
  }
}
