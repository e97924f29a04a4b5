'use strict';
// hirfa-sync: a PouchDB plugin for Hirfa's compact sync protocol (docs/sync-protocols.md).
//   PouchDB.plugin(require('hirfa-sync'));
//   const run = db.hirfaSync('http://host:5000/sync/hirfa', {token: () => t, device: 'phone-7f3a'});

const { SyncRun } = require('./lib/run');
const { uploadPhoto } = require('./lib/photos');
const { checkpointId } = require('./lib/checkpoint');
const { SyncError } = require('./lib/transport');

function hirfaSync(url, options) {
  return new SyncRun(this, url, options);
}

function hirfaPhoto(options) {
  return uploadPhoto(this, options);
}

module.exports = {
  hirfaSync,
  hirfaPhoto,
};

// Helpers beside the plugin's methods (PouchDB.plugin copies every own property of the
// object onto the prototype, so these are not enumerable there).
Object.defineProperties(module.exports, {
  uploadPhoto: { value: uploadPhoto, enumerable: false },
  checkpointId: { value: checkpointId, enumerable: false },
  SyncError: { value: SyncError, enumerable: false },
});
