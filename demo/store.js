// @ts-check
// store.js — the demo's state in IndexedDB: one object store of key → structured-cloneable value
// ('chat': system prompt + messages, 'settings', 'model': the last model choice). Failures (private
// modes without IndexedDB, quota) degrade to "nothing saved" and never break the chat.

const DB_NAME = 'pocketlm-demo', STORE = 'state';
/** @type {Promise<IDBDatabase> | null} */ let db = null;

function open() {
  db ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  });
  return db;
}

/** @param {IDBTransactionMode} mode @param {(s: IDBObjectStore) => IDBRequest} fn */
async function run(mode, fn) {
  const d = await open();
  return new Promise((resolve, reject) => {
    const tx = d.transaction(STORE, mode);
    const req = fn(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
}

/** @returns {Promise<any>} the stored value, or undefined (also when IndexedDB is unavailable) */
export async function load(key) {
  try { return await run('readonly', (s) => s.get(key)); } catch (e) { console.warn('pocketlm demo: state not loaded', e); return undefined; }
}

/** Stores a value; resolves false when it could not be saved. */
export async function save(key, value) {
  try { await run('readwrite', (s) => s.put(value, key)); return true; } catch (e) { console.warn('pocketlm demo: state not saved', e); return false; }
}
