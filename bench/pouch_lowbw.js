#!/usr/bin/env node
// One timed PouchDB sync on a device that persists, for bench/low_bandwidth.py.
//
//   node bench/pouch_lowbw.js < job.json
//
// job: {state_dir, url, headers, direction: "push"|"pull"|"sync"|"hirfa", docs (loaded
// into the device first, untimed), hirfa (direction "hirfa": {token, device, snapshot})}.
// "push", "pull" and "sync" are PouchDB's replication; "hirfa" is one db.hirfaSync() of
// the compact-protocol plugin (clients/js), the path an app using it takes. The device is
// a LevelDB PouchDB in state_dir that survives between jobs, like a phone, so a second
// job finds its checkpoints. Prints one JSON line: {ok, seconds, requests, docs_read,
// docs_written, errors}. Only the sync is timed: Node's start-up and the local writes do
// not count.
'use strict';

const path = require('path');
const util = require('util');
const {performance} = require('perf_hooks');

const PouchDB = require(path.join(__dirname, '..', 'tests', 'js', 'node_modules', 'pouchdb'));
PouchDB.plugin(require(path.join(__dirname, '..', 'clients', 'js')));

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

// The plugin's own requests, counted through its injectable fetch.
async function hirfaSync(local, job, count) {
  const {token, ...options} = job.hirfa;
  const fetch = (reqUrl, opts) => {
    count();
    return globalThis.fetch(reqUrl, opts);
  };
  const summary = await local.hirfaSync(job.url, {...options, token: () => token, fetch});
  const refused = [...summary.forbidden, ...summary.rejected];
  return {
    ok: summary.ok && refused.length === 0,
    docs_read: summary.pulled,
    docs_written: summary.pushed,
    errors: refused.map((r) => `${r.id}: ${r.reason}`),
  };
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
  const remote = job.direction === 'hirfa' ? null : new PouchDB(job.url, {fetch});
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
      if (job.direction === 'hirfa') {
        info = await hirfaSync(local, job, () => {
          requests += 1;
        });
      } else if (job.direction === 'push') {
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
    if (remote) {
      await remote.close().catch(() => {});
    }
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
