// sw.js — the demo's service worker, registered from here so that its scope is the site root.
// It must control the package's Worker (web/worker.js) and the threads build's workers (dist/) to
// give them COOP/COEP, and a worker script under demo/ may not claim a wider scope than demo/
// without a Service-Worker-Allowed header, which static hosts cannot send. The code: demo/sw.js.
importScripts('demo/sw.js');
