// WHATWG Encoding: UTF-8 and UTF-16 decoders (fatal, BOM, streaming, replacement), encoder, encodeInto, stream forms.
import test from 'node:test';
import { conformance } from './harness.js';

test('TextEncoder / TextDecoder', () => conformance(String.raw`
  const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join(' ');
  test('encode: UTF-8, lone surrogates become U+FFFD', () => {
    eq(hex(new TextEncoder().encode('a€𝄞')), '61 e2 82 ac f0 9d 84 9e');
    eq(hex(new TextEncoder().encode('\uD800x\uDC00')), 'ef bf bd 78 ef bf bd');
    eq(new TextEncoder().encode().length, 0);
    eq(new TextEncoder().encoding, 'utf-8');
  });
  test('encodeInto stops before a code point that does not fit', () => {
    const buf = new Uint8Array(5);
    eq(new TextEncoder().encodeInto('a€€', buf), { read: 2, written: 4 });
    eq(new TextEncoder().encodeInto('𝄞', new Uint8Array(3)), { read: 0, written: 0 });
    throws(() => new TextEncoder().encodeInto('a', new Uint16Array(2)), 'TypeError');
  });
  test('decode: replacement of invalid sequences (maximal subparts)', () => {
    const d = new TextDecoder();
    eq(d.decode(new Uint8Array([0xc0, 0x80])), '\uFFFD\uFFFD');
    eq(d.decode(new Uint8Array([0xe0, 0x80, 0x80])), '\uFFFD\uFFFD\uFFFD');
    eq(d.decode(new Uint8Array([0xed, 0xa0, 0x80])), '\uFFFD\uFFFD\uFFFD', 'encoded surrogates');
    eq(d.decode(new Uint8Array([0xf4, 0x90, 0x80, 0x80])), '\uFFFD\uFFFD\uFFFD\uFFFD', 'above U+10FFFF');
    eq(d.decode(new Uint8Array([0xe2, 0x82])), '\uFFFD', 'truncated at the end');
    eq(d.decode(new Uint8Array([0xe2, 0x82, 0x41])), '\uFFFDA');
    eq(d.decode(new Uint8Array([0xff, 0x61])), '\uFFFDa');
  });
  test('decode: fatal mode throws TypeError', () => {
    throws(() => new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xff])), 'TypeError');
    eq(new TextDecoder('utf-8', { fatal: true }).fatal, true);
  });
  test('decode: BOM is removed once unless ignoreBOM', () => {
    eq(new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0xef, 0xbb, 0xbf])), 'a\uFEFF');
    eq(new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])), '\uFEFFa');
    eq(new TextDecoder('utf-16le').decode(new Uint8Array([0xff, 0xfe, 0x61, 0x00])), 'a');
  });
  test('decode: streaming keeps partial sequences across calls', () => {
    const d = new TextDecoder();
    const bytes = new TextEncoder().encode('€𝄞x');
    let out = '';
    for (const b of bytes) out += d.decode(new Uint8Array([b]), { stream: true });
    out += d.decode();
    eq(out, '€𝄞x');
    const d2 = new TextDecoder();
    eq(d2.decode(new Uint8Array([0xe2]), { stream: true }), '');
    eq(d2.decode(), '\uFFFD', 'flush emits the pending error');
  });
  test('decode: UTF-16LE/BE with surrogate pairs and lone surrogates', () => {
    eq(new TextDecoder('utf-16le').decode(new Uint8Array([0x3d, 0xd8, 0x8a, 0xdc])), '💊');
    eq(new TextDecoder('utf-16be').decode(new Uint8Array([0xd8, 0x3d, 0xdc, 0x8a])), '💊');
    eq(new TextDecoder('utf-16le').decode(new Uint8Array([0x3d, 0xd8, 0x41, 0x00])), '\uFFFDA');
    eq(new TextDecoder('utf-16le').decode(new Uint8Array([0x41])), '\uFFFD', 'odd byte at the end');
  });
  test('labels: case-insensitive, whitespace-trimmed; unknown labels are RangeError', () => {
    eq(new TextDecoder(' UTF8\n').encoding, 'utf-8');
    eq(new TextDecoder('unicode-1-1-utf-8').encoding, 'utf-8');
    eq(new TextDecoder('utf-16').encoding, 'utf-16le');
    eq(new TextDecoder('UnicodeFFFE').encoding, 'utf-16be');
    throws(() => new TextDecoder('utf-7'), 'RangeError');
    throws(() => new TextDecoder('replacement'), 'RangeError');
  });
  test('windows-1252 (and its latin1/ascii labels) and x-user-defined', () => {
    const d = new TextDecoder('latin1');
    eq(d.encoding, 'windows-1252');
    eq(new TextDecoder('US-ASCII').encoding, 'windows-1252');
    eq(d.decode(new Uint8Array([0x41, 0x80, 0x81, 0x9f, 0xa0, 0xe9, 0xff])), 'A\u20ac\u0081\u0178\u00a0\u00e9\u00ff');
    eq(new TextDecoder('windows-1252', { fatal: true }).decode(new Uint8Array([0x8d])), '\u008d', 'every byte is mapped');
    const x = new TextDecoder('x-user-defined');
    eq(x.decode(new Uint8Array([0x61, 0x80, 0xff])), 'a\uf780\uf7ff');
  });
  test('decode accepts any BufferSource; rejects others', () => {
    const u = new TextEncoder().encode('hello');
    eq(new TextDecoder().decode(u.buffer), 'hello');
    eq(new TextDecoder().decode(new DataView(u.buffer, 1, 3)), 'ell');
    eq(new TextDecoder().decode(new Uint16Array(u.buffer.slice(0, 4))), 'hell');
    throws(() => new TextDecoder().decode('x'), 'TypeError');
  });
  test('TextDecoderStream / TextEncoderStream handle split code points', async () => {
    const bytes = new TextEncoder().encode('a€b');
    const rs = new ReadableStream({ start(c) { for (const b of bytes) c.enqueue(new Uint8Array([b])); c.close(); } });
    let s = '';
    for await (const chunk of rs.pipeThrough(new TextDecoderStream())) s += chunk;
    eq(s, 'a€b');
    const enc = new ReadableStream({ start(c) { c.enqueue('\uD83D'); c.enqueue('\uDCA9'); c.close(); } }).pipeThrough(new TextEncoderStream());
    const parts = [];
    for await (const chunk of enc) parts.push(...chunk);
    eq(hex(new Uint8Array(parts)), 'f0 9f 92 a9');
  });
`));
