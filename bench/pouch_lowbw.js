#!/usr/bin/env node
// One timed PouchDB replication on a device that persists, for bench/low_bandwidth.py.
//
//   node bench/pouch_lowbw.js < job.json
//
// job: {state_dir, url, headers, direction: "push"|"pull"|"sync", docs (loaded into the
// device first, untimed)}. The device is a LevelDB PouchDB in state_dir that survives
// between jobs, like a phone, so a second job finds its checkpoints. Prints one JSON
// line: {ok, seconds, requests, docs_read, docs_written, errors}. Only the replication
// is timed: Node's start-up and the local writes do not count.
'use strict';

const path = require('path');
const util = require('util');
const {performance} = require('perf_hooks');

const PouchDB = require(path.join(__dirname, '..', 'tests', 'js', 'node_modules', 'pouchdb'));

for (const method of ['log', 'info', 'warn', 'error', 'debug']) {
  console[method] = (...args) => process.stderr.write(util.format(...args) + '\n');
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function main() {
  const job = await readStdin();
  const local = new PouchDB(path.join(path.resolve(job.state_dir), 'device'));
  let requests = 0;
  const fetch = async (reqUrl, opts) => {
    for (const [key, value] of Object.entries(job.headers || {})) {
      opts.headers.set(key, value);
    }
    requests += 1;
    return PouchDB.fetch(reqUrl, opts);
  };
  const remote = new PouchDB(job.url, {fetch});
  try {
    if (job.docs && job.docs.length) {
      const failed = (await local.bulkDocs(job.docs)).filter((row) => !row.ok);
      if (failed.length) {
        throw new Error(`local bulkDocs failed: ${JSON.stringify(failed.slice(0, 3))}`);
      }
    }
    const started = performance.now();
    let info;
    try {
      if (job.direction === 'push') {
        info = await PouchDB.replicate(local, remote);
      } else if (job.direction === 'pull') {
        info = await PouchDB.replicate(remote, local);
      } else {
        const both = await PouchDB.sync(local, remote);
        info = {
          ok: both.push.ok && both.pull.ok,
          docs_read: both.push.docs_read + both.pull.docs_read,
          docs_written: both.push.docs_written + both.pull.docs_written,
          errors: [...both.push.errors, ...both.pull.errors],
        };
      }
    } catch (err) {
      info = {ok: false, ...(err.result || {}), errors: [err]};
    }
    return {
      ok: Boolean(info.ok),
      seconds: (performance.now() - started) / 1000,
      requests,
      docs_read: info.docs_read,
      docs_written: info.docs_written,
      errors: (info.errors || []).slice(0, 3).map((e) => String((e && e.message) || e)),
    };
  } finally {
    await remote.close().catch(() => {});
    await local.close();
  }
}

main().then(
  (result) => {
    process.stdout.write(JSON.stringify(result) + '\n');
    process.exit(0);
  },
  (err) => {
    process.stderr.write(String(err.stack || err) + '\n');
    process.exit(1);
  },
);
