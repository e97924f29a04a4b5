'use strict';
// One sync: push the local changes (with history) and pull pages until nothing is left,
// as sync/compact/client.py does, on a PouchDB database. Also the restore procedure:
// an answer with `reset: true` means the server was restored from a backup, so every
// document held here is pushed again (`pull: false` while more remain), then all is
// pulled from 0 (docs/sync-protocols.md, "Restores").

const { Transport, SyncError } = require('./transport');
const { Checkpoint } = require('./checkpoint');
const { outgoing, withBytes, missingStub } = require('./push');
const { storeChanges, removeLocally } = require('./pull');
const { Snapshot } = require('./snapshot');
const { newSummary } = require('./summary');

const MAX_RESETS = 3; // a server that keeps answering reset is broken: stop, do not loop

function randomHex(bytes) {
  const buf = new Uint8Array(bytes);
  if (globalThis.crypto && globalThis.crypto.getRandomValues) globalThis.crypto.getRandomValues(buf);
  else for (let i = 0; i < bytes; i += 1) buf[i] = Math.floor(Math.random() * 256);
  return Array.from(buf, (b) => b.toString(16).padStart(2, '0')).join('');
}

class Session {
  constructor(db, url, options, run) {
    this.db = db;
    this.url = url.replace(/\/+$/, '');
    this.options = options;
    this.run = run;
    this.signal = run.signal;
    this.transport = new Transport(options, run.signal);
    this.checkpoint = new Checkpoint(db, options.device, this.url);
    this.summary = newSummary();
    this.counter = 0;
    this.fetchRevision = (id, rev) => this.transport.getJSON(
      `${this.url}/${encodeURIComponent(id)}?rev=${encodeURIComponent(rev)}&attachments=true`,
    );
  }

  requestId() {
    this.counter += 1;
    return `${this.options.device}:${this.counter}:${randomHex(4)}`;
  }

  // A 'change' event (and onProgress) with the bytes and requests of this step.
  progress(event) {
    const t = this.transport;
    const before = this.lastCounts || { bytesSent: 0, bytesReceived: 0 };
    const full = {
      direction: event.direction,
      docs: event.docs || [],
      pushed: event.pushed || 0,
      pulled: event.pulled || 0,
      cursor: event.cursor,
      bytesSent: t.bytesSent - before.bytesSent,
      bytesReceived: t.bytesReceived - before.bytesReceived,
    };
    this.lastCounts = { bytesSent: t.bytesSent, bytesReceived: t.bytesReceived };
    if (event.direction === 'snapshot') this.summary.pulled += full.pulled;
    this.run.emit('change', full);
    if (typeof this.options.onProgress === 'function') this.options.onProgress(full);
  }

  wantsSnapshot(state) {
    const mode = this.options.snapshot ?? 'auto';
    if (mode === false) return false;
    return this.checkpoint.isNew || Boolean(state.snapshot);
  }

  // Store pulled documents; when nothing was edited here since the last checkpoint, move
  // pushed_seq past these writes so they are not pushed back. The caller checkpoints the
  // answer (cursor and pushed_seq) only after this: a crash in between costs a re-pull of
  // the page, never a local edit.
  async storePage(changes) {
    const before = (await this.db.info()).update_seq;
    const { removed, written } = await storeChanges(this.db, changes, this.fetchRevision);
    for (const [id, revs] of written) {
      if (!this.pulled.has(id)) this.pulled.set(id, new Set());
      for (const rev of revs) this.pulled.get(id).add(rev);
    }
    const state = this.checkpoint.value;
    const update = {};
    if (Object.keys(removed).length) update.removed = { ...(state.removed || {}), ...removed };
    if (String(before) === String(state.pushed_seq)) {
      const upTo = await ownWritesEnd(this.db, before, written);
      if (String(upTo) !== String(before)) update.pushed_seq = upTo;
    }
    return update;
  }

  // What to leave out of a push: removal tombstones, and the revisions this sync pulled
  // (the server has them; a local edit of one is a new revision, so it is still sent).
  skipped() {
    const skip = {};
    for (const [id, revs] of Object.entries(this.checkpoint.value.removed || {})) skip[id] = [...revs];
    for (const [id, revs] of this.pulled) skip[id] = [...(skip[id] || []), ...revs];
    return skip;
  }

  async sync() {
    this.pulled = new Map(); // id -> revisions stored from the server in this sync
    this.lastCounts = { bytesSent: this.transport.bytesSent, bytesReceived: this.transport.bytesReceived };
    let state = await this.checkpoint.load();
    state = this.checkpoint.value;
    if (this.wantsSnapshot(state)) {
      const seq = await this.firstSnapshot(state);
      if (seq !== null) state = await this.checkpoint.save({ cursor: seq, snapshot: null });
    }
    await this.exchange();
  }

  async firstSnapshot(state) {
    const snapshot = new Snapshot(this);
    try {
      const seq = await snapshot.load(state.snapshot);
      this.summary.snapshot = { docs: snapshot.docs, requests: snapshot.requests };
      return seq;
    } catch (err) {
      const unsupported = err.status === 404 || err.status === 405 || err.status === 501;
      if (unsupported && (this.options.snapshot ?? 'auto') === 'auto' && !snapshot.docs) return null;
      throw err;
    }
  }

  async exchange() {
    const { db, checkpoint, summary } = this;
    const batchSize = this.options.batchSize || 500;
    let queue = null; // revisions still to push in this sync
    let target = null; // the local sequence pushed_seq reaches once the queue is sent
    let pending = new Set(); // ids edited here (a restore drops a forbidden copy only if not)
    let restoring = false;
    const retried = new Set();
    let resets = 0;
    for (;;) {
      if (queue === null) {
        const out = await outgoing(db, checkpoint.value.pushed_seq, this.skipped());
        queue = out.docs;
        target = out.lastSeq;
        pending = out.ids;
      }
      const batch = queue.slice(0, batchSize);
      let rest = queue.slice(batchSize);
      const state = checkpoint.value;
      const body = { request_id: this.requestId(), device: this.options.device, since: state.cursor, revs: true };
      if (state.server) body.server = state.server;
      if (this.options.maxBytes) body.max_bytes = this.options.maxBytes;
      if (batch.length) body.docs = batch;
      // Pull only once the server has everything: a page read before a document's push
      // could carry an older revision (sync/compact/client.py).
      if (restoring && rest.length) body.pull = false;
      const answer = await this.transport.postJSON(`${this.url}/_sync`, body);
      const requeue = await this.outcomes(batch, answer.results || [], { restoring, pending, retried });
      rest = rest.concat(requeue);
      if (answer.reset) {
        resets += 1;
        summary.resets += 1;
        if (resets >= MAX_RESETS) throw new SyncError('the server keeps answering reset');
        this.run.emit('reset', { server: answer.server, previous: state.server || null });
        const everything = await outgoing(db, 0, state.removed);
        queue = everything.docs;
        target = everything.lastSeq;
        restoring = true;
        summary.server = answer.server;
        await checkpoint.save({ cursor: 0, server: answer.server, pushed_seq: 0 });
        this.progress({ direction: 'push', pushed: countOk(answer.results), cursor: 0 });
        continue;
      }
      queue = rest;
      const update = { cursor: answer.cursor, server: answer.server || state.server };
      if (!queue.length && target !== null) {
        // Everything read up to `target` is on the server: durable before the page is
        // stored (the cursor is not, it moves only once the page is stored). Once only:
        // pages stored since may have moved pushed_seq further.
        if (seqAfter(target, checkpoint.value.pushed_seq)) await checkpoint.save({ pushed_seq: target });
        target = null;
      }
      const changes = answer.changes || [];
      if (changes.length) Object.assign(update, await this.storePage(changes));
      await checkpoint.save(update);
      summary.pulled += changes.length;
      summary.cursor = answer.cursor;
      summary.server = update.server;
      this.progress({
        direction: batch.length ? 'push' : 'pull',
        docs: changes,
        pushed: countOk(answer.results),
        pulled: changes.length,
        cursor: answer.cursor,
      });
      if (queue.length || answer.more) continue;
      restoring = false;
      // Done, unless the app wrote something while this sync ran.
      const late = await outgoing(db, checkpoint.value.pushed_seq, this.skipped());
      if (!late.docs.length) {
        // Nothing but pulled writes and removals since pushed_seq: move past them.
        if (seqAfter(late.lastSeq, checkpoint.value.pushed_seq)) await checkpoint.save({ pushed_seq: late.lastSeq });
        return;
      }
      queue = late.docs;
      target = late.lastSeq;
      pending = late.ids;
    }
  }

  // Per-revision outcomes; answers the revisions to send again (with attachment bytes).
  async outcomes(batch, results, { restoring, pending, retried }) {
    const { summary } = this;
    const again = [];
    for (let i = 0; i < batch.length; i += 1) {
      const doc = batch[i];
      const result = results[i] || { id: doc._id, status: 'invalid', reason: 'no outcome' };
      if (result.status === 'ok') {
        summary.pushed += 1;
      } else if (result.status === 'conflict') {
        summary.pushed += 1;
        summary.conflicts.push({ id: result.id, winner: result.winner, conflicts: result.conflicts || [] });
      } else if (missingStub(result) && !retried.has(`${doc._id}@${doc._rev}`)) {
        // The server lacks an attachment's bytes (new here, or lost by a restore).
        retried.add(`${doc._id}@${doc._rev}`);
        again.push(await withBytes(this.db, doc));
      } else if (result.status === 'forbidden') {
        const denied = { id: result.id, reason: result.reason };
        summary.forbidden.push(denied);
        this.run.emit('denied', denied);
        if (restoring && !pending.has(doc._id)) {
          // The restored server will not take it from this user: drop the local copy,
          // as a removal (never pushed), and take what the server has instead.
          const revs = await removeLocally(this.db, doc._id);
          if (revs.length) {
            const removed = { ...(this.checkpoint.value.removed || {}) };
            removed[doc._id] = [...(removed[doc._id] || []), ...revs];
            await this.checkpoint.save({ removed });
          }
        }
      } else {
        summary.rejected.push({ id: result.id, status: result.status, reason: result.reason });
      }
    }
    return again;
  }
}

// Local sequences are numbers in PouchDB's adapters; compared as such.
function seqAfter(a, b) {
  return Number(a) > Number(b);
}

// The last local sequence, from `since` on, that holds only the writes just made from the
// server (`written`: id -> revisions): a row whose revisions are not all among them is
// someone else's write (the app's, meanwhile), and pushed_seq must stay before it.
async function ownWritesEnd(db, since, written) {
  const feed = await db.changes({ since, style: 'all_docs' });
  let upTo = since;
  for (const row of feed.results) {
    const ours = written.get(row.id);
    if (!ours || !row.changes.every((c) => ours.has(c.rev))) break;
    upTo = row.seq;
  }
  return upTo;
}

function countOk(results) {
  return (results || []).filter((r) => r.status === 'ok' || r.status === 'conflict').length;
}

module.exports = { Session };
