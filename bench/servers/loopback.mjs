// Preload (`node --import`) that binds servers listening on a bare port to 127.0.0.1, for proxies without a host option (supergateway).
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  const [first, second] = args;
  const barePort = typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first));
  if (barePort && typeof second !== 'string') args.splice(1, 0, '127.0.0.1');
  else if (first !== null && typeof first === 'object' && 'port' in first && first.host === undefined) {
    args[0] = { ...first, host: '127.0.0.1' };
  }
  return listen.apply(this, args);
};
