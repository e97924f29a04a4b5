'use strict';
// Storing what the server sends (a `_sync` page or snapshot lines) so the local revision
// tree equals the server's: the winner and every other leaf (`_leaves`), each with its
// `_revisions`, written as replication writes them (`new_edits: false`).

const ENVELOPE = ['_conflicts', '_leaves', '_removed'];

function bare(doc) {
  const out = { ...doc };
  for (const key of ENVELOPE) delete out[key];
  return out;
}

// A change without history (a server that ignored `revs: true`): its own rev only.
function withRevisions(doc) {
  if (doc._revisions) return doc;
  const [start, id] = doc._rev.split('-');
  return { ...doc, _revisions: { start: Number(start), ids: [id] } };
}

// The revisions a change asks us to store: the winner, then every other leaf.
function revisionsOf(change) {
  return [change, ...(change._leaves || [])].map((doc) => withRevisions(bare(doc)));
}

function stubDigests(doc) {
  const atts = doc._attachments || {};
  return Object.values(atts).filter((a) => a && a.stub).map((a) => a.digest);
}

// Digests this document's local leaves already hold: a stub of one of them can be stored
// as it is; any other needs its bytes (PouchDB refuses a stub it cannot resolve).
async function localDigests(db, id) {
  try {
    const leaves = await db.get(id, { open_revs: 'all' });
    const digests = new Set();
    for (const leaf of leaves) {
      for (const att of Object.values((leaf.ok && leaf.ok._attachments) || {})) digests.add(att.digest);
    }
    return digests;
  } catch (err) {
    if (err.status === 404) return new Set();
    throw err;
  }
}

async function withAttachmentBytes(db, revisions, fetchRevision) {
  const out = [];
  const known = new Map();
  for (const doc of revisions) {
    const digests = stubDigests(doc);
    if (!digests.length) {
      out.push(doc);
      continue;
    }
    if (!known.has(doc._id)) known.set(doc._id, await localDigests(db, doc._id));
    if (digests.every((d) => known.get(doc._id).has(d))) {
      out.push(doc);
      continue;
    }
    const full = await fetchRevision(doc._id, doc._rev);
    out.push({ ...doc, _attachments: full._attachments });
  }
  return out;
}

// A document that left the user's channels: tombstone every live local leaf. These
// tombstones are not the user's edits, so the caller keeps them from being pushed.
async function removeLocally(db, id) {
  let leaves;
  try {
    leaves = await db.get(id, { open_revs: 'all' });
  } catch (err) {
    if (err.status === 404) return [];
    throw err;
  }
  const live = leaves.filter((l) => l.ok && !l.ok._deleted).map((l) => l.ok._rev);
  if (!live.length) return [];
  const written = await db.bulkDocs(live.map((rev) => ({ _id: id, _rev: rev, _deleted: true })));
  return written.filter((w) => w.ok).map((w) => w.rev);
}

// Stores one page; answers the removals made ({id: [tombstone revs]}), the count, and
// every revision written ({id -> Set of revs}, removal tombstones included).
async function storeChanges(db, changes, fetchRevision) {
  const removed = {};
  const written = new Map();
  const wrote = (id, rev) => {
    if (!written.has(id)) written.set(id, new Set());
    written.get(id).add(rev);
  };
  let revisions = [];
  for (const change of changes) {
    if (change._removed) {
      const revs = await removeLocally(db, change._id);
      if (revs.length) removed[change._id] = revs;
      for (const rev of revs) wrote(change._id, rev);
    } else {
      revisions.push(...revisionsOf(change));
    }
  }
  if (revisions.length) {
    revisions = await withAttachmentBytes(db, revisions, fetchRevision);
    const errors = await db.bulkDocs(revisions, { new_edits: false });
    const failed = (errors || []).filter((e) => e.error);
    if (failed.length) {
      const err = new Error(`could not store ${failed.length} pulled revision(s): ${failed[0].reason || failed[0].message}`);
      err.failures = failed;
      throw err;
    }
  }
  for (const doc of revisions) wrote(doc._id, doc._rev);
  return { removed, written, stored: revisions.length };
}

module.exports = { storeChanges, removeLocally, revisionsOf };
