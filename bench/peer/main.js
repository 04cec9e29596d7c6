// The peer's producer: the same workloads as qunfa's, on BullMQ.
//   node main.js fanout GROUPS WORKERS LEAD_MS OUT_DIR
//     one job per group, all delayed to one due time (bulk adds); prints one JSON
//     line like qunfa-bench fanout.
//   node main.js precision POSTS WORKERS LEAD_MS OUT_DIR WINDOW_MS
//     POSTS jobs, job i to group g<i>, each delayed to its own random due time in
//     [T0, T0 + WINDOW_MS]; writes OUT_DIR/plan.txt ("post due created") and
//     OUT_DIR/leases-*.txt.
// Env: PEER_REDIS_PORT, PEER_HOOK, PEER_CONCURRENCY (per worker process).
'use strict';
const fs = require('fs');
const path = require('path');
const { fork } = require('child_process');
const { Queue } = require('bullmq');
const { connection, queueName } = require('./common');

const BULK = 1000;
const jobOpts = {
  removeOnComplete: true, removeOnFail: 1000,
  attempts: 10, backoff: { type: 'exponential', delay: 500 },
};

function startWorkers(n, outDir, withLeases) {
  const ws = [];
  for (let i = 0; i < n; i++) {
    const env = { ...process.env };
    if (withLeases) env.PEER_LEASES_FILE = path.join(outDir, `leases-${i}.txt`);
    const w = { child: fork(path.join(__dirname, 'worker.js'), [], { env }),
      completed: 0, lastDoneMs: 0, status: '' };
    w.ready = new Promise((resolve) => {
      w.child.on('message', (m) => {
        if (m.ready) resolve();
        if (m.completed !== undefined) { w.completed = m.completed; w.lastDoneMs = m.lastDoneMs; }
        if (m.status) { w.status = m.status; w.onStopped(); }
      });
    });
    ws.push(w);
  }
  return ws;
}

function stopWorkers(ws) {
  return Promise.all(ws.map((w) => new Promise((resolve) => {
    w.onStopped = resolve;
    w.child.send('stop');
  })));
}

async function waitCompleted(ws, n, deadlineMs) {
  for (;;) {
    const done = ws.reduce((s, w) => s + w.completed, 0);
    if (done >= n) return done;
    if (Date.now() > deadlineMs) return done;
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function usedMemory(queue) {
  const client = await queue.client;
  const info = await client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)[1]);
}

// Adds jobs [{post, group, due}] in bulks, each delayed to its due time.
async function addAll(queue, jobs, text) {
  for (let i = 0; i < jobs.length; i += BULK) {
    const now = Date.now();
    await queue.addBulk(jobs.slice(i, i + BULK).map((j) => ({
      name: 'send', data: { post: j.post, group: j.group, text },
      opts: { ...jobOpts, delay: Math.max(0, j.due - now) },
    })));
    for (let k = i; k < Math.min(i + BULK, jobs.length); k++) jobs[k].created = Date.now();
  }
}

async function main() {
  const [mode, nArg, wArg, leadArg, outDir, windowArg] = process.argv.slice(2);
  const n = Number(nArg);
  const workers = Number(wArg);
  const queue = new Queue(queueName, { connection });
  await queue.waitUntilReady();
  const ws = startWorkers(workers, outDir, mode === 'precision');
  await Promise.all(ws.map((w) => w.ready));
  const before = await usedMemory(queue);
  const start = Date.now();
  const t0 = start + Number(leadArg);
  let jobs;
  if (mode === 'fanout') {
    jobs = Array.from({ length: n }, (_, i) => ({ post: 'b1', group: `g${i + 1}`, due: t0 }));
  } else {
    const dues = Array.from({ length: n }, () => t0 + Math.floor(Math.random() * Number(windowArg)));
    dues.sort((a, b) => a - b);
    jobs = dues.map((due, i) => ({ post: `p${i + 1}`, group: `g${i + 1}`, due }));
  }
  await addAll(queue, jobs, mode === 'fanout' ? 'benchmark fan-out: good morning!' : 'benchmark precision');
  const created = Date.now();
  const bytesPerJob = ((await usedMemory(queue)) - before) / n;
  const lastDue = jobs[jobs.length - 1].due;
  const done = await waitCompleted(ws, n, lastDue + 600000);
  const doneMs = Math.max(...ws.map((w) => w.lastDoneMs));
  await stopWorkers(ws);
  ws.forEach((w, i) => fs.writeFileSync(path.join(outDir, `worker-${i}.status`), w.status));
  if (mode === 'precision') {
    fs.writeFileSync(path.join(outDir, 'plan.txt'),
      jobs.map((j) => `${j.post} ${j.due} ${j.created}`).join('\n') + '\n');
  }
  console.log(JSON.stringify({
    post: 'b1', due_ms: t0, created_ms: created, done_ms: doneMs, total: n,
    delivered: done, failed: n - done, redis_bytes_per_job: bytesPerJob,
    create_ms: created - start,
  }));
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
}

main().catch((e) => { console.error(e); process.exit(1); });
