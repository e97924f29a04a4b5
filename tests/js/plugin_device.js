#!/usr/bin/env node
// A scripted PouchDB device with the hirfa-sync plugin (clients/js) loaded.
//
//   node tests/js/plugin_device.js <state-dir> < ops.json
//
// The same device, protocol and ops as tests/js/device.js (a LevelDB-backed
// PouchDB in <state-dir>, so its data survives between runs; one JSON line per
// event), plus:
//   hirfa_sync  url token device [options]: one db.hirfaSync(url, {token:
//               () => token, device, ...options}); its events are emitted as
//               {"event":"sync", name, data} while it runs
//                 -> ok, summary, events [{name, data}] | ok false, error, events
//               with `tokens` [t1, t2, ...] instead of token: the nth call of the
//               token function answers tn (the last one from then on); the result
//               adds token_calls [{refresh}], the argument of each call.
//               with `live_put` doc (and options.live): once the first sync has
//               paused, put doc locally; cancel the run at the next pause after
//               a push (or after live_timeout_ms, default 20000).
//   get_leaves  id: every leaf (open_revs "all") with its _revisions
//                 -> leaves [doc] (sorted by _rev) | missing
//   rev_trees   every document the db has ever held, deleted ones too
//                 -> trees {id: [{rev, deleted, revisions: [rev, parent, ...]}]}
//   pouch_replicate: device.js's `replicate` (PouchDB's own replicator), named
//               so the differential test reads as what it compares.
//   has_plugin  -> has (whether PouchDB has hirfaSync), upload (whether the
//               plugin exports an upload helper)
//   upload_photo url token file_b64 owner cooperative [product_id] [sync_url]
//               [device] [options]: the plugin's uploadPhoto(db, {url, token: () =>
//               token, file, owner, cooperative, productId, tus, ...options}) with
//               tests/js's tus-js-client; with sync_url, beforeUpload is one
//               hirfaSync there as `device` (no resends, 10-50 ms backoff: a first
//               sync's snapshot retries a refused connection 20 times, ignoring
//               `retries`). Emits {"event":"upload", name:
//               "answered", data: the helper's answer} as soon as it answers, then
//               "request" {method, offset, status, upload_offset} per tus answer
//               and "retry" {attempt, status, message} per failed tus request,
//               and waits for the upload (options.wait false or not)
//                 -> answer {id, rev, sha256}, completed, url | error
'use strict';

const path = require('path');
const PouchDB = require('pouchdb');
const device = require('./device.js');

const {emit, required, serializeError} = device;

// The plugin under test, from the repository (not from node_modules).
const plugin = require(path.resolve(__dirname, '../../clients/js'));
PouchDB.plugin(plugin);

const SYNC_EVENTS = ['change', 'active', 'paused', 'denied', 'reset', 'error', 'complete'];

// Events carry errors and plain objects; keep them JSON.
function plain(value) {
  if (value instanceof Error) {
    return serializeError(value);
  }
  try {
    return JSON.parse(JSON.stringify(value === undefined ? null : value));
  } catch (err) {
    return String(value);
  }
}

async function leavesOf(db, id) {
  const found = await db.get(id, {open_revs: 'all', revs: true});
  return found.filter((row) => row.ok).map((row) => row.ok)
    .sort((a, b) => (a._rev < b._rev ? -1 : a._rev > b._rev ? 1 : 0));
}

function revisionChain(doc) {
  const {start, ids} = doc._revisions;
  return ids.map((hash, i) => `${start - i}-${hash}`);
}

const ops = {
  ...device.ops,

  async has_plugin(db) {
    return {
      ok: true,
      has: typeof db.hirfaSync === 'function',
      upload: Object.keys(plugin).filter((key) => /upload/i.test(key)),
    };
  },

  async hirfa_sync(db, op) {
    const url = required(op, 'url');
    const tokens = op.tokens || [required(op, 'token')];
    const tokenCalls = [];
    const options = {
      ...(op.options || {}),
      token: (arg) => {
        tokenCalls.push({refresh: Boolean(arg && arg.refresh)});
        return tokens[Math.min(tokenCalls.length, tokens.length) - 1];
      },
      device: required(op, 'device'),
    };
    const events = [];
    const run = db.hirfaSync(url, options);
    for (const name of SYNC_EVENTS) {
      run.on(name, (data) => {
        const event = {name, data: plain(data)};
        events.push(event);
        emit({event: 'sync', ...event});
      });
    }
    let timer;
    if (op.live_put) {
      let put = false;
      let pushed = false;
      run.on('change', (change) => {
        if (put && change.pushed) pushed = true;
      });
      run.on('paused', () => {
        if (!put) {
          put = true;
          db.put(op.live_put).catch((err) => emit({event: 'sync', name: 'put_failed', data: serializeError(err)}));
        } else if (pushed) {
          run.cancel();
        }
      });
      timer = setTimeout(() => run.cancel(), op.live_timeout_ms || 20000);
    }
    try {
      const summary = await run;
      return {ok: true, summary: plain(summary), events, token_calls: tokenCalls};
    } catch (err) {
      return {ok: false, error: serializeError(err), events, token_calls: tokenCalls};
    } finally {
      clearTimeout(timer);
    }
  },

  async upload_photo(db, op) {
    const token = required(op, 'token');
    const options = {
      ...(op.options || {}),
      url: required(op, 'url'),
      token: () => token,
      file: Buffer.from(required(op, 'file_b64'), 'base64'),
      owner: required(op, 'owner'),
      cooperative: required(op, 'cooperative'),
      productId: op.product_id,
      tus: watchedTus((name, data) => emit({event: 'upload', name, data})),
    };
    if (op.sync_url) {
      options.beforeUpload = () => db.hirfaSync(op.sync_url, {
        token: () => token, device: op.device || 'photo-device',
        retries: 0, backoff: {initial: 10, max: 50}, timeout: 5000,
      });
    }
    let answer;
    try {
      answer = await plugin.uploadPhoto(db, options);
    } catch (err) {
      return {ok: false, error: serializeError(err)};
    }
    const {uploaded, ...rest} = answer;
    emit({event: 'upload', name: 'answered', data: rest});
    try {
      return {ok: true, answer: rest, completed: true, url: await uploaded};
    } catch (err) {
      return {ok: true, answer: rest, completed: false, error: serializeError(err)};
    }
  },

  async get_leaves(db, op) {
    const id = required(op, 'id');
    const leaves = await leavesOf(db, id);
    return leaves.length ? {ok: true, leaves} : {ok: true, missing: true};
  },

  async rev_trees(db) {
    // changes with style all_docs lists every document, deleted ones included,
    // which allDocs does not.
    const feed = await db.changes({since: 0, style: 'all_docs'});
    const trees = {};
    for (const change of feed.results) {
      if (change.id.startsWith('_local/')) {
        continue;
      }
      trees[change.id] = (await leavesOf(db, change.id)).map((leaf) => ({
        rev: leaf._rev,
        deleted: Boolean(leaf._deleted),
        revisions: revisionChain(leaf),
      }));
    }
    return {ok: true, trees};
  },

  async pouch_replicate(db, op) {
    return device.ops.replicate(db, op);
  },
};

// tus-js-client with every answer and every retry reported, through the hooks the
// helper leaves free (it sets onBeforeRequest itself). The retry rule is tus-js-client
// 4's default (not exported): anything but a 4xx, or a 409/423.
function watchedTus(report) {
  // The photo helper's tus (an optional peer dependency of the plugin), from tests/js:
  // under `make test` the plugin's folder has no packages of its own. Required here, so a
  // stale tests/js/node_modules fails only this op.
  const tus = require('tus-js-client');
  class Upload extends tus.Upload {
    constructor(file, options) {
      super(file, {
        ...options,
        onAfterResponse: (req, res) => report('request', {
          method: req.getMethod(),
          offset: req.getHeader('Upload-Offset') === undefined ? null : Number(req.getHeader('Upload-Offset')),
          status: res.getStatus(),
          upload_offset: res.getHeader('Upload-Offset') === undefined ? null : Number(res.getHeader('Upload-Offset')),
        }),
        onShouldRetry: (err, attempt) => {
          const status = err.originalResponse ? err.originalResponse.getStatus() : 0;
          report('retry', {attempt, status, message: String(err.message).slice(0, 300)});
          return !(status >= 400 && status < 500) || status === 409 || status === 423;
        },
      });
    }
  }
  return {...tus, Upload};
}

device.start(ops);
