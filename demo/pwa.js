// @ts-check
// pwa.js — registers the service worker (offline app shell, cross-origin-isolation shim) and, on a
// host that sends no COOP/COEP headers, reloads the page once so it gets the headers the service
// worker adds: only a cross-origin isolated page may use SharedArrayBuffer, hence threads.

// /sw.js, not demo/sw.js: its scope must cover /web/ and /dist/ (see the comment in /sw.js).
const SW_URL = new URL('../sw.js', import.meta.url);
const RELOADED = 'pocketlm-demo-coi-reload';   // sessionStorage flag: one reload per tab session, never a loop

/** @param {number} ms @returns {Promise<boolean>} true when a controller arrived in time */
function controllerWithin(ms) {
  return new Promise((resolve) => {
    const done = (v) => { clearTimeout(timer); navigator.serviceWorker.removeEventListener('controllerchange', on); resolve(v); };
    const on = () => done(true);
    const timer = setTimeout(() => done(false), ms);
    navigator.serviceWorker.addEventListener('controllerchange', on);
  });
}

/**
 * @returns {Promise<{ reloading: boolean, offline: Promise<boolean> }>} reloading: the page is
 *   about to reload (stop booting); offline: resolves true once the app shell is cached
 */
export async function startServiceWorker() {
  const none = { reloading: false, offline: Promise.resolve(false) };
  if (!('serviceWorker' in navigator)) return none;
  try {
    await navigator.serviceWorker.register(SW_URL);
  } catch (e) {
    console.warn('pocketlm demo: the service worker was not registered; no offline use', e);
    return none;
  }
  const offline = navigator.serviceWorker.ready.then(() => true, () => false);
  if (self.crossOriginIsolated) { sessionStorage.removeItem(RELOADED); return { reloading: false, offline }; }
  if (sessionStorage.getItem(RELOADED)) return { reloading: false, offline };   // tried once: run single-threaded
  const controlled = !!navigator.serviceWorker.controller || await controllerWithin(8000);
  if (!controlled) return { reloading: false, offline };
  sessionStorage.setItem(RELOADED, '1');
  location.reload();
  return { reloading: true, offline };
}
