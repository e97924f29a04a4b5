'use strict';
// What a push sends: every leaf revision of the documents changed since `pushed_seq`,
// read with its ancestry (`_revisions`), as `_bulk_docs` with `new_edits: false` takes
// them, so a concurrent edit on the server becomes a conflict branch, never a loss.

const READ_CHUNK = 100;

// Leaves changed after `since`, minus `skip` ({id: [revs]}: the tombstones written for
// removals and the revisions pulled from the server, none of them the user's edits).
async function changedLeaves(db, since, skip = {}) {
  const feed = await db.changes({ since, style: 'all_docs' });
  const leaves = [];
  for (const row of feed.results) {
    if (row.id.startsWith('_design/')) continue; // an app's indexes are not Hirfa documents
    const skipped = new Set(skip[row.id] || []);
    for (const { rev } of row.changes) {
      if (!skipped.has(rev)) leaves.push({ id: row.id, rev });
    }
  }
  return { leaves, lastSeq: feed.last_seq };
}

async function readRevisions(db, leaves, { attachments = false } = {}) {
  const docs = [];
  for (let i = 0; i < leaves.length; i += READ_CHUNK) {
    const chunk = leaves.slice(i, i + READ_CHUNK);
    const got = await db.bulkGet({ docs: chunk, revs: true, attachments });
    for (const result of got.results) {
      const found = result.docs.find((d) => d.ok);
      if (found) docs.push(found.ok); // a leaf compacted away meanwhile is simply skipped
    }
  }
  return docs;
}

// The local changes to push: documents with history, and the sequence they reach.
async function outgoing(db, since, skip) {
  const { leaves, lastSeq } = await changedLeaves(db, since, skip);
  return { docs: await readRevisions(db, leaves), lastSeq, ids: new Set(leaves.map((l) => l.id)) };
}

// The same revision with its attachments' bytes (base64), for a server that lacks them.
async function withBytes(db, doc) {
  const [full] = await readRevisions(db, [{ id: doc._id, rev: doc._rev }], { attachments: true });
  return full || doc;
}

function missingStub(result) {
  return result.status === 'invalid' && /stub|attachment/i.test(result.reason || '');
}

module.exports = { outgoing, withBytes, missingStub, changedLeaves };
