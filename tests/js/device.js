#!/usr/bin/env node
// A scripted PouchDB "device" for Hirfa's Python tests.
//
//   node tests/js/device.js <state-dir> < ops.json
//
// Reads a JSON array of operations from stdin, runs them in order against a
// LevelDB-backed PouchDB kept in <state-dir> (so data survives between runs,
// like a phone that restarts), and writes one JSON object per line to stdout:
// progress events while an op runs, one {"event":"result","op":...} per op,
// and finally {"event":"done"}. An unexpected failure (bad input, a bug here)
// ends with {"event":"error","message":...} and exit code 1. Errors that
// PouchDB reports for an op (a 409, an unreachable server) are results with
// "ok": false, and the following ops still run.
//
// Every result line is {"event":"result","op":NAME,"index":I,"ok":BOOL,...}.
// Ops ([] = optional):
//   put         doc                                    -> id, rev | error
//   bulk_create count [prefix="doc"] [pad=6] [start=0] [attachment_bytes=0]
//               [fields]: docs "<prefix>:<i zero-padded>" with fields, n=i and
//               a text/plain photo.txt of attachment_bytes ("<id>;" repeated)
//                                                      -> created, errors
//   update      id set [unset] [rev]                   -> id, rev | error
//   remove      id [rev]                               -> id, rev | error
//   get         id [conflicts] [revs] [rev] [attachments]
//                                                      -> doc | missing, deleted
//   get_attachment id [name="photo.txt"] [rev]         -> length, text | missing
//   all_docs    [include_docs] [conflicts]             -> total_rows, rows[{id,rev,doc?}]
//   info                                               -> doc_count, update_seq
//   replicate   direction=push|pull|sync url [headers] [batch_size]
//               [batches_limit] [doc_ids] [since] [checkpoint] [skip_setup]
//               [log_requests]: one-shot; "change" events per batch, "denied"
//               per refused doc, "http" per request with log_requests
//                                                      -> status, docs_read,
//               docs_written, doc_write_failures, errors, last_seq (sync adds
//               push and pull) | ok false, error
//   live_pull   url until_id [until_field] [headers] [timeout_ms=30000]
//               [heartbeat=10000] [batch_size] [log_requests]: "live_started"
//               once caught up, then waits for until_id   -> doc | ok false, error
'use strict';

const path = require('path');
const util = require('util');
const PouchDB = require('pouchdb');

// Everything PouchDB (or anything else) prints goes to stderr: stdout is
// reserved for the JSON event stream the Python side parses.
for (const method of ['log', 'info', 'warn', 'error', 'debug']) {
  console[method] = (...args) => process.stderr.write(util.format(...args) + '\n');
}

// On Linux, writes to a pipe are synchronous, so each line is flushed as soon
// as it is emitted (https://nodejs.org/api/process.html#a-note-on-process-io).
function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// PouchDB 9's replicator calls src.info() after each batch without a catch
// (for activeTasks); when the server drops out right then, Node would kill
// the process, where a browser only logs. Behave like the browser.
process.on('unhandledRejection', (reason) => {
  console.error('unhandled rejection (ignored):', reason);
  emit({event: 'unhandled_rejection', message: String((reason && reason.message) || reason)});
});

class FatalError extends Error {}

function required(op, key) {
  if (op[key] === undefined) {
    throw new FatalError(`op ${op.op} needs "${key}"`);
  }
  return op[key];
}

// PouchDB errors (with an HTTP-like status) and network failures are expected
// outcomes of an op; these classes only come from bugs, here or in a test.
function isExpected(err) {
  return !(err instanceof FatalError || err instanceof TypeError ||
    err instanceof ReferenceError || err instanceof SyntaxError || err instanceof RangeError);
}

function serializeError(err) {
  if (err === undefined || err === null) {
    return null;
  }
  if (typeof err !== 'object') {
    return {message: String(err)};
  }
  const out = {};
  for (const key of ['name', 'status', 'error', 'reason', 'message', 'code', 'id', 'docId']) {
    if (err[key] !== undefined && typeof err[key] !== 'function') {
      out[key] = err[key];
    }
  }
  if (out.message === undefined && err.toString) {
    out.message = err.toString();
  }
  return out;
}

// Remote databases: extra headers (e.g. Authorization: Bearer ...) are added
// in PouchDB 9's `fetch` option, which the HTTP adapter calls as fetch(url,
// opts) with opts.headers a node-fetch Headers object. With log_requests the
// device emits one "http" event per request, for protocol checks.
function remoteDb(op) {
  const url = required(op, 'url');
  const headers = op.headers || {};
  const logRequests = Boolean(op.log_requests);
  const fetch = async (reqUrl, opts) => {
    for (const [key, value] of Object.entries(headers)) {
      opts.headers.set(key, value);
    }
    let response;
    try {
      response = await PouchDB.fetch(reqUrl, opts);
    } catch (err) {
      if (logRequests) {
        emit({event: 'http', method: opts.method || 'GET', url: reqUrl, error: String(err)});
      }
      throw err;
    }
    if (logRequests) {
      emit({event: 'http', method: opts.method || 'GET', url: reqUrl, status: response.status});
    }
    return response;
  };
  return new PouchDB(url, {fetch, skip_setup: Boolean(op.skip_setup)});
}

function replicationOptions(op) {
  const opts = {};
  if (op.batch_size !== undefined) {
    opts.batch_size = op.batch_size;
  }
  if (op.batches_limit !== undefined) {
    opts.batches_limit = op.batches_limit;
  }
  if (op.doc_ids !== undefined) {
    opts.doc_ids = op.doc_ids;
  }
  if (op.since !== undefined) {
    opts.since = op.since;
  }
  if (op.checkpoint !== undefined) {
    opts.checkpoint = op.checkpoint;
  }
  return opts;
}

function summarize(info) {
  if (!info) {
    return {};
  }
  return {
    ok: Boolean(info.ok),
    status: info.status,
    docs_read: info.docs_read,
    docs_written: info.docs_written,
    doc_write_failures: info.doc_write_failures,
    errors: (info.errors || []).map(serializeError),
    last_seq: info.last_seq,
  };
}

function attachmentText(id, size) {
  const unit = `${id};`;
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

function padded(i, width) {
  return String(i).padStart(width, '0');
}

const ops = {
  async put(db, op) {
    const res = await db.put(required(op, 'doc'));
    return {ok: true, id: res.id, rev: res.rev};
  },

  // N docs "<prefix>:<i>" (i zero-padded to `pad` digits, default 6), each
  // with the given fields plus n=i, and with a text/plain attachment
  // photo.txt of attachment_bytes bytes when that is > 0.
  async bulk_create(db, op) {
    const count = required(op, 'count');
    const prefix = op.prefix || 'doc';
    const width = op.pad || 6;
    const start = op.start || 0;
    const size = op.attachment_bytes || 0;
    const chunk = 500;
    let created = 0;
    const errors = [];
    for (let from = start; from < start + count; from += chunk) {
      const docs = [];
      for (let i = from; i < Math.min(from + chunk, start + count); i++) {
        const doc = {_id: `${prefix}:${padded(i, width)}`, ...(op.fields || {}), n: i};
        if (size > 0) {
          doc._attachments = {
            'photo.txt': {
              content_type: 'text/plain',
              data: Buffer.from(attachmentText(doc._id, size)).toString('base64'),
            },
          };
        }
        docs.push(doc);
      }
      for (const res of await db.bulkDocs(docs)) {
        if (res.ok) {
          created += 1;
        } else {
          errors.push(serializeError(res));
        }
      }
    }
    return {ok: errors.length === 0, created, errors};
  },

  // Sets fields on the current winner (or on the leaf `rev`, to edit one side
  // of a conflict); `unset` lists fields to delete.
  async update(db, op) {
    const id = required(op, 'id');
    const doc = await db.get(id, op.rev ? {rev: op.rev} : {});
    Object.assign(doc, op.set || {});
    for (const key of op.unset || []) {
      delete doc[key];
    }
    const res = await db.put(doc);
    return {ok: true, id: res.id, rev: res.rev};
  },

  // Deletes the winner, or the leaf `rev` (how a conflict is resolved).
  async remove(db, op) {
    const id = required(op, 'id');
    const rev = op.rev || (await db.get(id))._rev;
    const res = await db.remove(id, rev);
    return {ok: true, id: res.id, rev: res.rev};
  },

  async get(db, op) {
    const id = required(op, 'id');
    const opts = {conflicts: Boolean(op.conflicts), revs: Boolean(op.revs)};
    if (op.rev) {
      opts.rev = op.rev;
    }
    if (op.attachments) {
      opts.attachments = true;
    }
    try {
      return {ok: true, doc: await db.get(id, opts)};
    } catch (err) {
      if (err.status === 404) {
        return {ok: true, missing: true, deleted: err.reason === 'deleted'};
      }
      throw err;
    }
  },

  async get_attachment(db, op) {
    const id = required(op, 'id');
    const name = op.name || 'photo.txt';
    try {
      const data = await db.getAttachment(id, name, op.rev ? {rev: op.rev} : {});
      return {ok: true, length: data.length, text: data.toString('utf8')};
    } catch (err) {
      if (err.status === 404) {
        return {ok: true, missing: true};
      }
      throw err;
    }
  },

  async all_docs(db, op) {
    const res = await db.allDocs({
      include_docs: Boolean(op.include_docs),
      conflicts: Boolean(op.conflicts),
    });
    const rows = res.rows.map((row) => {
      const out = {id: row.id, rev: row.value.rev};
      if (op.include_docs) {
        out.doc = row.doc;
      }
      return out;
    });
    return {ok: true, total_rows: res.total_rows, rows};
  },

  async info(db) {
    const res = await db.info();
    return {ok: true, doc_count: res.doc_count, update_seq: res.update_seq};
  },

  // One-shot replication. Emits a "change" event per written batch; PouchDB
  // errors (server down, 401, ...) end in a result with ok false.
  async replicate(db, op) {
    const direction = required(op, 'direction');
    const remote = remoteDb(op);
    const opts = replicationOptions(op);
    let rep;
    if (direction === 'push') {
      rep = PouchDB.replicate(db, remote, opts);
    } else if (direction === 'pull') {
      rep = PouchDB.replicate(remote, db, opts);
    } else if (direction === 'sync') {
      rep = db.sync(remote, opts);
    } else {
      throw new FatalError(`unknown replication direction ${direction}`);
    }
    rep.on('change', (info) => {
      // sync wraps the batch info as {direction, change}.
      const change = direction === 'sync' ? info.change : info;
      emit({
        event: 'change',
        direction: direction === 'sync' ? info.direction : direction,
        docs_read: change.docs_read,
        docs_written: change.docs_written,
        last_seq: change.last_seq,
      });
    });
    rep.on('denied', (err) => emit({event: 'denied', error: serializeError(err)}));
    try {
      const info = await rep;
      if (direction === 'sync') {
        const push = summarize(info.push);
        const pull = summarize(info.pull);
        return {
          ok: push.ok && pull.ok,
          direction,
          docs_read: (push.docs_read || 0) + (pull.docs_read || 0),
          docs_written: (push.docs_written || 0) + (pull.docs_written || 0),
          doc_write_failures: (push.doc_write_failures || 0) + (pull.doc_write_failures || 0),
          push,
          pull,
        };
      }
      return {direction, ...summarize(info)};
    } catch (err) {
      // Whatever a replication fails with (even a TypeError from PouchDB
      // choking on a malformed server answer) is the outcome under test.
      if (err instanceof FatalError) {
        throw err;
      }
      return {ok: false, direction, error: serializeError(err), ...partial(err.result)};
    } finally {
      await remote.close().catch(() => {});
    }
  },

  // Live (longpoll) pull: emits live_started once the initial catch-up is
  // done, then waits for doc until_id (optionally with until_field's values)
  // to arrive locally, emits it in the result and cancels. Gives up after
  // timeout_ms (default 30000) with ok false.
  async live_pull(db, op) {
    const untilId = required(op, 'until_id');
    const want = op.until_field || {};
    const timeoutMs = op.timeout_ms || 30000;
    const remote = remoteDb(op);
    const matches = (doc) => doc && doc._id === untilId && !doc._deleted &&
      Object.entries(want).every(([k, v]) => util.isDeepStrictEqual(doc[k], v));

    let rep;
    let feed;
    let timer;
    try {
      return await new Promise((resolve, reject) => {
        let started = false;
        const finish = (result) => resolve(result);
        timer = setTimeout(() => finish({
          ok: false, started, error: {name: 'timeout', message: `no ${untilId} after ${timeoutMs} ms`},
        }), timeoutMs);
        feed = db.changes({live: true, since: 'now', include_docs: true, doc_ids: [untilId]});
        feed.on('change', (change) => {
          if (matches(change.doc)) {
            finish({ok: true, started, doc: change.doc});
          }
        });
        feed.on('error', reject);
        rep = PouchDB.replicate(remote, db, {
          live: true, retry: false, heartbeat: op.heartbeat || 10000, ...replicationOptions(op),
        });
        rep.on('change', (info) => emit({
          event: 'change', direction: 'pull', docs_read: info.docs_read,
          docs_written: info.docs_written, last_seq: info.last_seq,
        }));
        rep.on('paused', (err) => {
          if (err || started) {
            return;
          }
          started = true;
          emit({event: 'live_started'});
          // The doc may already have come in with the catch-up.
          db.get(untilId).then((doc) => {
            if (matches(doc)) {
              finish({ok: true, started, doc});
            }
          }, () => {});
        });
        rep.on('error', (err) => finish({ok: false, started, error: serializeError(err)}));
      });
    } finally {
      clearTimeout(timer);
      if (feed) {
        feed.cancel();
      }
      if (rep) {
        // Let the replication wind down before the db is closed; "complete"
        // may be emitted synchronously by cancel().
        const stopped = new Promise((resolve) => {
          rep.once('complete', resolve);
          rep.once('error', resolve);
          setTimeout(resolve, 2000);
        });
        rep.cancel();
        await stopped;
      }
      await remote.close().catch(() => {});
    }
  },
};

function partial(info) {
  if (!info) {
    return {};
  }
  const {docs_read, docs_written, doc_write_failures, last_seq, status} = info;
  return {docs_read, docs_written, doc_write_failures, last_seq, status};
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// Runs the op list on stdin against the state dir's PouchDB with the ops of
// `table` (tests/js/plugin_device.js passes these ops and its own).
async function main(table) {
  const stateDir = process.argv[2];
  if (!stateDir) {
    throw new FatalError('usage: node device.js <state-dir> < ops.json');
  }
  let list;
  try {
    list = JSON.parse(await readStdin());
  } catch (err) {
    throw new FatalError(`stdin is not JSON: ${err.message}`);
  }
  if (!Array.isArray(list)) {
    throw new FatalError('stdin must be a JSON array of ops');
  }
  const db = new PouchDB(path.join(path.resolve(stateDir), 'pouch'));
  try {
    for (const [index, op] of list.entries()) {
      const fn = Object.prototype.hasOwnProperty.call(table, op.op) ? table[op.op] : undefined;
      if (!fn) {
        throw new FatalError(`unknown op ${JSON.stringify(op.op)} at index ${index}`);
      }
      let result;
      try {
        result = await fn(db, op);
      } catch (err) {
        if (!isExpected(err)) {
          throw err;
        }
        result = {ok: false, error: serializeError(err)};
      }
      emit({event: 'result', op: op.op, index, ...result});
    }
  } finally {
    await db.close();
  }
}

// Exit once stdout has taken every line: a result of more than a pipe's buffer (64 KB)
// was seen cut when the process exited right after writing it.
function exitAfterFlush(code) {
  process.stdout.write('', () => process.exit(code));
}

function start(table) {
  main(table).then(
    () => {
      emit({event: 'done'});
      // Keep-alive sockets to remotes would otherwise hold the process open.
      exitAfterFlush(0);
    },
    (err) => {
      emit({event: 'error', message: err instanceof FatalError ? err.message : String(err.stack || err)});
      exitAfterFlush(1);
    },
  );
}

module.exports = {ops, start, emit, required, serializeError, isExpected, remoteDb, FatalError};

if (require.main === module) {
  start(ops);
}
