#!/usr/bin/env node
// Times one PouchDB replication for bench/sync_pouchdb.py.
//
//   node bench/pouch_bench.js < job.json
//
// job: {direction: "push"|"pull", state_dir, url, headers, docs (push only),
// batch_size}. A push loads `docs` into a fresh LevelDB database first
// (untimed), then replicates it to `url`; a pull replicates `url` into a fresh
// LevelDB database. Only the replication itself is timed, so Node's start-up
// and the local writes of a push's set-up do not count. Prints one JSON line:
// {ok, seconds, docs_read, docs_written, doc_write_failures, requests, waits,
// errors}: requests counts them by kind, waits sums by kind the seconds from
// sending each until its response headers came (the server's share, roughly;
// concurrent requests overlap, so the sum can exceed the wall time).
//
// Uses the PouchDB of the test clients (tests/js/node_modules), unmodified.
'use strict';

const path = require('path');
const util = require('util');
const {performance} = require('perf_hooks');

const PouchDB = require(path.join(__dirname, '..', 'tests', 'js', 'node_modules', 'pouchdb'));

// stdout carries only the result line.
for (const method of ['log', 'info', 'warn', 'error', 'debug']) {
  console[method] = (...args) => process.stderr.write(util.format(...args) + '\n');
}

// "GET _changes", "POST _bulk_docs", "GET attachment", ...: what the
// replicator asked for, by kind, to compare the two servers' round trips.
function requestKind(method, reqUrl, dbPath) {
  const rest = new URL(reqUrl).pathname.slice(dbPath.length).replace(/^\//, '');
  if (rest === '') {
    return `${method} db`;
  }
  const parts = rest.split('/');
  if (parts[0].startsWith('_')) {
    return `${method} ${decodeURIComponent(parts[0])}`;
  }
  return `${method} ${parts.length > 1 ? 'attachment' : 'doc'}`;
}

function remoteDb(job, requests, waits) {
  const dbUrl = new URL(job.url);
  const dbPath = dbUrl.pathname.replace(/\/$/, '');
  const headers = job.headers || {};
  const fetch = async (reqUrl, opts) => {
    for (const [key, value] of Object.entries(headers)) {
      opts.headers.set(key, value);
    }
    const method = opts.method || 'GET';
    const sameDb = new URL(reqUrl).pathname.startsWith(dbPath);
    const kind = sameDb ? requestKind(method, reqUrl, dbPath) : `${method} server`;
    requests[kind] = (requests[kind] || 0) + 1;
    const sent = performance.now();
    const response = await PouchDB.fetch(reqUrl, opts);
    waits[kind] = (waits[kind] || 0) + (performance.now() - sent) / 1000;
    return response;
  };
  return new PouchDB(job.url, {fetch});
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
  const local = new PouchDB(path.join(path.resolve(job.state_dir), `${job.direction}-db`));
  const requests = {};
  const waits = {};
  const remote = remoteDb(job, requests, waits);
  const opts = job.batch_size ? {batch_size: job.batch_size} : {};
  try {
    if (job.direction === 'push') {
      const written = await local.bulkDocs(job.docs);
      const failed = written.filter((row) => !row.ok);
      if (failed.length) {
        throw new Error(`local bulkDocs failed: ${JSON.stringify(failed.slice(0, 3))}`);
      }
    } else if (job.direction !== 'pull') {
      throw new Error(`unknown direction ${job.direction}`);
    }
    const [source, target] = job.direction === 'push' ? [local, remote] : [remote, local];
    const started = performance.now();
    let info;
    try {
      info = await PouchDB.replicate(source, target, opts);
    } catch (err) {
      info = {ok: false, ...(err.result || {}), errors: [err]};
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      ok: Boolean(info.ok),
      seconds,
      docs_read: info.docs_read,
      docs_written: info.docs_written,
      doc_write_failures: info.doc_write_failures,
      requests,
      waits,
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
    // Keep-alive sockets to the server would otherwise hold the process open.
    process.exit(0);
  },
  (err) => {
    process.stderr.write(String(err.stack || err) + '\n');
    process.exit(1);
  },
);
