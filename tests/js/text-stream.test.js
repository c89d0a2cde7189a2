import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextStream } from '../../web/text-stream.js';

const enc = (s) => new TextEncoder().encode(s);

test('a UTF-8 character split across tokens is emitted whole', () => {
  const bytes = enc('a€b');          // € = e2 82 ac
  const ts = new TextStream();
  const parts = [ts.push(bytes.subarray(0, 2)), ts.push(bytes.subarray(2, 3)), ts.push(bytes.subarray(3)), ts.finish()];
  assert.deepEqual(parts, ['a', '', '€b', '']);
});

test('stop strings end the text and are not included, even across tokens', () => {
  const ts = new TextStream(['\n\nUser:']);
  let out = '';
  for (const piece of ['Hello', ' there', '\n', '\nUs', 'er:', ' more']) out += ts.push(enc(piece));
  out += ts.finish();
  assert.equal(out, 'Hello there');
  assert.equal(ts.stopped, true);
});

test('held-back text that turns out not to be a stop string is released', () => {
  const ts = new TextStream(['END']);
  assert.equal(ts.push(enc('xEN')), 'x');
  assert.equal(ts.push(enc('D?')), '');
  assert.equal(ts.stopped, true);
  const ts2 = new TextStream(['END']);
  assert.equal(ts2.push(enc('xEN')), 'x');
  assert.equal(ts2.push(enc('a')), 'ENa');
  assert.equal(ts2.finish(), '');
});

test('an incomplete character at the very end becomes U+FFFD', () => {
  const ts = new TextStream();
  assert.equal(ts.push(new Uint8Array([0x61, 0xe2, 0x82])), 'a');
  assert.equal(ts.finish(), '\ufffd');
});
