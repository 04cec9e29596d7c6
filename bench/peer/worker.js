// One BullMQ worker process: takes jobs, POSTs each to mockchat, and tells its
// parent how many it completed and when the last one completed. With a leases
// file it also keeps, per job, when the processor took it (the peer's lease).
'use strict';
const fs = require('fs');
const { Worker } = require('bullmq');
const { connection, queueName, makeSender } = require('./common');

const concurrency = Number(process.env.PEER_CONCURRENCY || 100);
const leasesFile = process.env.PEER_LEASES_FILE || '';
const send = makeSender(process.env.PEER_HOOK, concurrency);
const leases = [];
let completed = 0;
let lastDoneMs = 0;
let reported = -1;

const worker = new Worker(queueName, async (job) => {
  if (leasesFile) leases.push(`${job.data.post} ${Date.now()}`);
  await send(job.data.post, job.data.group, job.data.text);
}, { connection, concurrency, autorun: false });

worker.on('completed', () => {
  completed += 1;
  lastDoneMs = Date.now();
});
worker.on('failed', (job, err) => console.error(`job ${job && job.id} failed: ${err}`));

const tick = setInterval(() => {
  if (completed !== reported) {
    reported = completed;
    process.send({ completed, lastDoneMs });
  }
}, 5);

process.on('message', async (m) => {
  if (m !== 'stop') return;
  clearInterval(tick);
  await worker.close();
  if (leasesFile) fs.writeFileSync(leasesFile, leases.join('\n') + '\n');
  process.send({ completed, lastDoneMs, status: fs.readFileSync('/proc/self/status', 'utf8') });
  process.exit(0);
});

worker.waitUntilReady().then(() => {
  worker.run();
  process.send({ ready: true });
});
