'use strict';
// A smoke check against a running Hirfa server, with PouchDB on the memory adapter:
//   node clients/js/test/smoke.js http://127.0.0.1:5099 <artisan access token> [photo.jpg]
// First sync (snapshot), a local edit pushed, a second device's edit pulled, an idle
// sync, and (with a JPEG path) a photo written offline and uploaded with tus.

const assert = require('node:assert/strict');
const fs = require('node:fs'); // the smoke check only: the plugin itself never uses it
const PouchDB = require('pouchdb-core')
  .plugin(require('pouchdb-adapter-memory'))
  .plugin(require('pouchdb-replication'))
  .plugin(require('..'));
const { uploadPhoto } = require('..');

const [base, token, photoPath] = process.argv.slice(2);
if (!base || !token) {
  console.error('usage: node test/smoke.js <server url> <token> [photo.jpg]');
  process.exit(2);
}
const url = `${base.replace(/\/+$/, '')}/sync/hirfa`;
const options = (device, extra = {}) => ({ token: () => token, device, backoff: { initial: 50, max: 500 }, ...extra });

function line(label, summary) {
  const { pushed, pulled, requests, bytesSent, bytesReceived, snapshot, conflicts, forbidden, rejected } = summary;
  console.log(
    `${label.padEnd(22)} pushed=${pushed} pulled=${pulled} requests=${requests} sent=${bytesSent}B received=${bytesReceived}B` +
      (snapshot ? ` snapshot=${JSON.stringify(snapshot)}` : '') +
      (conflicts.length + forbidden.length + rejected.length ? ` conflicts=${conflicts.length} forbidden=${forbidden.length} rejected=${rejected.length}` : ''),
  );
}

async function main() {
  const phone = new PouchDB(`phone-${Date.now()}`, { adapter: 'memory' });
  const device = `smoke-${Date.now().toString(36)}`;
  const events = [];
  const first = phone.hirfaSync(url, options(device));
  first.on('change', (e) => events.push(e.direction));
  const s1 = await first;
  line('first sync', s1);
  assert.ok(s1.ok && s1.snapshot && s1.snapshot.docs > 0, 'the snapshot brought documents');
  const info = await phone.info();
  assert.equal(info.doc_count, s1.snapshot.docs);
  console.log(`  local docs=${info.doc_count} events=${[...new Set(events)].join(',')}`);

  // The history came along: a pulled document's tree is the server's, not a lone rev.
  const products = (await phone.allDocs({ include_docs: true })).rows.map((r) => r.doc).filter((d) => d.type === 'product');
  const mine = products.find((d) => d.owner === 'art_fatima' && d.status === 'draft') || products.find((d) => d.owner === 'art_fatima');
  assert.ok(mine, 'an own product came');
  const withRevs = await phone.get(mine._id, { revs: true });
  console.log(`  ${mine._id} rev=${mine._rev} history=${withRevs._revisions.ids.length}`);

  const idle = await phone.hirfaSync(url, options(device));
  line('idle sync', idle);
  assert.equal(idle.requests, 1);
  assert.equal(idle.pushed + idle.pulled, 0);

  // A local edit: a new draft listing, pushed with its history.
  const draft = {
    _id: `product:smoke-${Date.now().toString(36)}`,
    type: 'product',
    owner: 'art_fatima',
    cooperative: mine.cooperative,
    created_at: new Date().toISOString(),
    status: 'draft',
    title: { fr: 'Tapis de test' },
    category: mine.category,
    photos: [],
  };
  await phone.put(draft);
  const pushed = await phone.hirfaSync(url, options(device));
  line('push a new listing', pushed);
  assert.equal(pushed.pushed, 1, JSON.stringify(pushed.rejected.concat(pushed.forbidden)));
  assert.equal(pushed.pulled, 0, 'what was pushed is not sent back');

  // Another device of the same artisan edits it; this one pulls the edit.
  const tablet = new PouchDB(`tablet-${Date.now()}`, { adapter: 'memory' });
  const t1 = await tablet.hirfaSync(url, options(`${device}-tablet`, { snapshot: false }));
  line('tablet first (pages)', t1);
  const theirs = await tablet.get(draft._id);
  await tablet.put({ ...theirs, title: { fr: 'Tapis de test, corrigé' } });
  line('tablet push', await tablet.hirfaSync(url, options(`${device}-tablet`)));
  const pulled = await phone.hirfaSync(url, options(device));
  line('phone pulls the edit', pulled);
  assert.equal(pulled.pulled, 1);
  const now = await phone.get(draft._id, { revs: true });
  assert.equal(now.title.fr, 'Tapis de test, corrigé');
  assert.equal(now._revisions.ids.length, 2, 'the pulled revision is a child of the local one');
  const noPushBack = await phone.hirfaSync(url, options(device));
  line('idle again', noPushBack);
  assert.equal(noPushBack.pushed, 0, 'a pulled revision is not pushed back');

  // Deleting it here reaches the tablet.
  await phone.remove(now);
  line('phone deletes', await phone.hirfaSync(url, options(device)));
  const gone = await tablet.hirfaSync(url, options(`${device}-tablet`));
  line('tablet pulls deletion', gone);
  await assert.rejects(tablet.get(draft._id), { status: 404 });

  if (photoPath) {
    const file = fs.readFileSync(photoPath);
    const photo = await uploadPhoto(phone, {
      url: base, token: () => token, file, productId: mine._id, owner: 'art_fatima', cooperative: mine.cooperative,
      filename: 'smoke.jpg', contentType: 'image/jpeg',
      beforeUpload: () => phone.hirfaSync(url, options(device)),
    });
    console.log(`photo ${photo.id} sha256=${photo.sha256.slice(0, 12)}… uploaded to ${photo.url}`);
    const sync = await phone.hirfaSync(url, options(device));
    line('sync after photo', sync);
    const doc = await phone.get(photo.id);
    console.log(`  photo status locally: ${doc.status}`);
    assert.equal(doc.status, 'ready', 'the server marked it ready and it synced back');
  }
  console.log('smoke: all good');
}

main().catch((err) => {
  console.error('smoke FAILED:', err);
  process.exit(1);
});
