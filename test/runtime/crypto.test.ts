// Web Crypto: getRandomValues, randomUUID, subtle digest/HMAC/ECDSA P-256/RSASSA-PKCS1-v1_5 (JWT verification), errors.
import test from 'node:test';
import { conformance } from './harness.js';

test('crypto', () => conformance(String.raw`
  const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
  const enc = (s) => new TextEncoder().encode(s);
  const b64url = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  test('getRandomValues: fills integer arrays, quota and type errors', () => {
    const a = crypto.getRandomValues(new Uint8Array(64));
    ok(a.some((x) => x !== 0));
    eq(crypto.getRandomValues(new Uint32Array(16384)).length, 16384);
    throws(() => crypto.getRandomValues(new Uint8Array(65537)), 'QuotaExceededError');
    throws(() => crypto.getRandomValues(new Float64Array(2)), 'TypeMismatchError');
  });
  test('randomUUID is a version 4 UUID, different each time', () => {
    const a = crypto.randomUUID(), b = crypto.randomUUID();
    ok(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(a));
    ok(a !== b);
  });
  test('digest: known SHA vectors; unknown algorithm is NotSupportedError', async () => {
    eq(hex(await crypto.subtle.digest('SHA-1', enc('abc'))), 'a9993e364706816aba3e25717850c26c9cd0d89d');
    eq(hex(await crypto.subtle.digest({ name: 'SHA-256' }, enc('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    eq(hex(await crypto.subtle.digest('SHA-384', new ArrayBuffer(0))).slice(0, 16), '38b060a751ac9638');
    eq(hex(await crypto.subtle.digest('SHA-512', new DataView(enc('abc').buffer))).slice(0, 16), 'ddaf35a193617aba');
    await rejects(crypto.subtle.digest('MD5', enc('x')), 'NotSupportedError');
    await rejects(crypto.subtle.digest('SHA-256', 'not bytes'), 'TypeError');
  });
  test('HMAC: RFC 4231 test case 2; verify; wrong usage is InvalidAccessError', async () => {
    const key = await crypto.subtle.importKey('raw', enc('Jefe'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    eq([key.type, key.extractable, key.algorithm.name, key.algorithm.hash.name, key.usages], ['secret', false, 'HMAC', 'SHA-256', ['sign']]);
    ok(key.algorithm === key.algorithm, 'the same object each time');
    const mac = await crypto.subtle.sign('HMAC', key, enc('what do ya want for nothing?'));
    eq(hex(mac), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    await rejects(crypto.subtle.verify('HMAC', key, mac, enc('x')), 'InvalidAccessError');
    const vkey = await crypto.subtle.importKey('jwk', { kty: 'oct', k: b64url(enc('Jefe')), alg: 'HS256' }, { name: 'HMAC', hash: 'SHA-256' }, true, ['verify']);
    eq(await crypto.subtle.verify('HMAC', vkey, mac, enc('what do ya want for nothing?')), true);
    await rejects(crypto.subtle.exportKey('raw', key), 'InvalidAccessError');
  });
  test('ECDSA P-256: sign a JWT, verify it, export/import JWK', async () => {
    const { publicKey, privateKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    ok(publicKey instanceof CryptoKey);
    eq([publicKey.type, privateKey.type, publicKey.algorithm.namedCurve], ['public', 'private', 'P-256']);
    const input = b64url(enc('{"alg":"ES256"}')) + '.' + b64url(enc('{"sub":"me"}'));
    const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, enc(input));
    eq(sig.byteLength, 64);
    const jwk = await crypto.subtle.exportKey('jwk', publicKey);
    eq([jwk.kty, jwk.crv], ['EC', 'P-256']);
    const imported = await crypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    eq(await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, imported, sig, enc(input)), true);
    eq(await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, imported, sig, enc(input + 'x')), false);
  });
  test('RSASSA-PKCS1-v1_5: RS256 sign and verify, spki round trip', async () => {
    const { publicKey, privateKey } = await crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']);
    eq(publicKey.algorithm.modulusLength, 2048);
    eq(Array.from(publicKey.algorithm.publicExponent).join(), '1,0,1');
    const sig = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', privateKey, enc('payload'));
    eq(sig.byteLength, 256);
    const spki = await crypto.subtle.exportKey('spki', publicKey);
    const pub = await crypto.subtle.importKey('spki', spki, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['verify']);
    eq(await crypto.subtle.verify('RSASSA-PKCS1-v1_5', pub, sig, enc('payload')), true);
  });
  test('AES-GCM encrypt/decrypt and ECDH deriveBits with a key member', async () => {
    const k = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, ['encrypt', 'decrypt']);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, k, enc('secret'));
    eq(new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, k, ct)), 'secret');
    await rejects(crypto.subtle.decrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, k, ct), 'OperationError');
    const a = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
    const b = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
    const ab = await crypto.subtle.deriveBits({ name: 'ECDH', public: b.publicKey }, a.privateKey, 256);
    const ba = await crypto.subtle.deriveBits({ name: 'ECDH', public: a.publicKey }, b.privateKey, 256);
    eq(hex(ab), hex(ba));
  });
  test('argument errors are TypeErrors', async () => {
    await rejects(crypto.subtle.sign('HMAC', {}, enc('x')), 'TypeError');
    await rejects(crypto.subtle.digest('SHA-256'), 'TypeError');
    await rejects(crypto.subtle.importKey('jwk', new Uint8Array(1), 'HMAC', false, ['sign']), 'TypeError');
  });
`));
