'use strict';
// A listing's photo, offline first: the `photo` document is written to the local
// database at once (status `pending`, so the listing shows it before any byte travels),
// then the bytes go with tus (resumable, https://tus.io) to `/api/v1/uploads`. When the
// server has processed them it writes the `ready` revision, which syncs back
// (api/services/photo_docs.py, api/resources/uploads.py).

const HEX = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

async function bytesOf(file) {
  if (file instanceof Uint8Array) return file; // a Node Buffer is one too
  if (file instanceof ArrayBuffer) return new Uint8Array(file);
  if (file && typeof file.arrayBuffer === 'function') return new Uint8Array(await file.arrayBuffer());
  throw new TypeError('uploadPhoto: file must be a Blob, File, Buffer, Uint8Array or ArrayBuffer');
}

// The server checks the finished upload against this hash (tus metadata `sha256`).
async function sha256Hex(bytes) {
  return HEX(await globalThis.crypto.subtle.digest('SHA-256', bytes));
}

function randomId() {
  const buf = new Uint8Array(8);
  globalThis.crypto.getRandomValues(buf);
  return `photo:${HEX(buf)}`;
}

// What tus-js-client reads: a Buffer in Node (its only binary source there), a Blob in
// a browser. The Buffer global is only touched where it exists.
function tusSource(file, bytes) {
  const inBrowser = typeof window !== 'undefined' && typeof Blob !== 'undefined';
  if (inBrowser) return file instanceof Blob ? file : new Blob([bytes]);
  return typeof Buffer !== 'undefined' ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
}

function photoDoc({ id, owner, cooperative, sha256, productId, extra }) {
  const doc = { ...(extra || {}), _id: id, type: 'photo', owner, cooperative, sha256, status: 'pending' };
  if (productId) doc.product_id = productId;
  return doc;
}

// Adds the photo to its product's `photos` when the product is here (a listing edited
// offline shows it at once); a product not held locally is left alone.
async function attachToProduct(db, productId, photoId) {
  let product;
  try {
    product = await db.get(productId);
  } catch (err) {
    if (err.status === 404) return null;
    throw err;
  }
  const photos = Array.isArray(product.photos) ? product.photos : [];
  if (photos.includes(photoId)) return product._rev;
  const written = await db.put({ ...product, photos: [...photos, photoId] });
  return written.rev;
}

async function bearer(token) {
  const value = typeof token === 'function' ? await token() : token;
  return `Bearer ${value}`;
}

function startUpload(tus, source, options, meta) {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(source, {
      endpoint: `${options.url.replace(/\/+$/, '')}/api/v1/uploads`,
      metadata: meta,
      chunkSize: options.chunkSize || 256 * 1024,
      retryDelays: options.retryDelays || [0, 1000, 3000, 10000, 30000],
      // One upload per file's hash and server: a restarted app resumes, never restarts.
      fingerprint: async () => `hirfa-photo:${options.url}:${meta.sha256}`,
      removeFingerprintOnSuccess: true,
      storeFingerprintForResuming: true,
      // Where the upload's URL is kept between runs: the browser's localStorage by default;
      // in Node none, unless the app passes one (tus-js-client's UrlStorage).
      ...(options.urlStorage ? { urlStorage: options.urlStorage } : {}),
      onBeforeRequest: async (req) => {
        req.setHeader('Authorization', await bearer(options.token)); // a fresh token each time
      },
      onProgress: options.onProgress,
      onError: reject,
      onSuccess: () => resolve(upload.url),
    });
    upload
      .findPreviousUploads()
      .then((previous) => {
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
        upload.start();
      })
      .catch(reject);
  });
}

/**
 * uploadPhoto(db, {url, token, file, productId, owner, cooperative, id, filename,
 *   contentType, chunkSize, retryDelays, onProgress, addToProduct, beforeUpload, wait, fields, tus})
 * answers {id, rev, sha256, uploaded}: `uploaded` is a promise of the upload's URL.
 */
async function uploadPhoto(db, options) {
  const { url, token, file, owner, cooperative } = options || {};
  if (!url || !token || !file || !owner || !cooperative) {
    throw new TypeError('uploadPhoto: url, token, file, owner and cooperative are required');
  }
  const tus = options.tus || require('tus-js-client'); // only this helper needs it
  const bytes = await bytesOf(file);
  const sha256 = await sha256Hex(bytes);
  const id = options.id || randomId();
  // Called again for a photo already listed (its upload failed, the app restarted): the
  // document stays as it is and only the upload starts again.
  const listed = options.id ? await db.get(id).catch(() => null) : null;
  if (listed && listed.sha256 !== sha256) {
    throw new TypeError(`uploadPhoto: ${id} is a photo of other bytes`);
  }
  const written = listed
    ? { rev: listed._rev }
    : await db.put(
      photoDoc({ id, owner, cooperative, sha256, productId: options.productId, extra: options.fields }),
    );
  if (!listed && options.productId && options.addToProduct !== false) {
    await attachToProduct(db, options.productId, id);
  }
  if (typeof options.beforeUpload === 'function') {
    // Typically a sync, so the listing reaches the server before the bytes, which take
    // longest on a slow link (the server marks the photo ready whichever comes first).
    try {
      await options.beforeUpload({ id, sha256 });
    } catch (_) {
      // offline: the upload still goes (tus resumes); the document syncs later
    }
  }
  const meta = { sha256, photo_id: id };
  const filename = options.filename || (file && file.name);
  if (filename) meta.filename = filename;
  const contentType = options.contentType || (file && file.type);
  if (contentType) meta.content_type = contentType;
  const uploaded = startUpload(tus, tusSource(file, bytes), { ...options, url }, meta);
  if (options.wait === false) {
    uploaded.catch(() => {}); // the caller reads `uploaded` if it cares; never unhandled
    return { id, rev: written.rev, sha256, uploaded };
  }
  const location = await uploaded;
  return { id, rev: written.rev, sha256, uploaded: Promise.resolve(location), url: location };
}

module.exports = { uploadPhoto, sha256Hex, photoDoc };
