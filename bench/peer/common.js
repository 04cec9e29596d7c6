// What the peer's producer and workers share: the Redis connection, the queue's
// name and the one HTTP send, with keep-alive, in qunfa's generic dialect.
'use strict';
const http = require('http');

const connection = {
  host: '127.0.0.1',
  port: Number(process.env.PEER_REDIS_PORT),
  maxRetriesPerRequest: null, // BullMQ workers require it
};
const queueName = 'fanout';

// POSTs {group, post, kind, text} to HOOK/hook/<group>; resolves on 2xx, rejects
// otherwise so that BullMQ retries the job.
function makeSender(hook, sockets) {
  const url = new URL(hook);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  return function send(post, group, text) {
    const body = JSON.stringify({ group, post, kind: 'post', text });
    return new Promise((resolve, reject) => {
      const req = http.request({
        agent, method: 'POST', host: url.hostname, port: url.port,
        path: `/hook/${group}`,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          'Idempotency-Key': `${post}:${group}`,
        },
      }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode < 300 ? resolve()
          : reject(new Error(`http ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  };
}

module.exports = { connection, queueName, makeSender };
