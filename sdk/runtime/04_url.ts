/**
 * WHATWG URL Standard: the basic URL parser (all states, with state overrides for
 * the setters), host parsing (domain, IPv4, IPv6, opaque), serializers, URL and
 * URLSearchParams. Domain to ASCII is an approximation of UTS #46 (NFKC + lowercase
 * mapping and Punycode; no full IDNA mapping/validity tables): see docs/runtime.md.
 */
import { expose, webidlInterface } from './00_bootstrap.js';

// ---- code point helpers
const isASCIIDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isASCIIHex = (c: number) => isASCIIDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const isASCIIAlpha = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isASCIIAlnum = (c: number) => isASCIIAlpha(c) || isASCIIDigit(c);

const SPECIAL: Record<string, number | null> = { 'ftp:': 21, 'file:': null, 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 };
const isSpecialScheme = (s: string) => Object.hasOwn(SPECIAL, s + ':');

// ---- percent-encoding
type EncodeSet = (c: number) => boolean;
const c0Control: EncodeSet = (c) => c < 0x20 || c > 0x7e;
const fragmentSet: EncodeSet = (c) => c0Control(c) || c === 0x20 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x60;
const querySet: EncodeSet = (c) => c0Control(c) || c === 0x20 || c === 0x22 || c === 0x23 || c === 0x3c || c === 0x3e;
const specialQuerySet: EncodeSet = (c) => querySet(c) || c === 0x27;
const pathSet: EncodeSet = (c) => querySet(c) || c === 0x3f || c === 0x5e || c === 0x60 || c === 0x7b || c === 0x7d;
const userinfoSet: EncodeSet = (c) => pathSet(c) || c === 0x2f || c === 0x3a || c === 0x3b || c === 0x3d || c === 0x40 || (c >= 0x5b && c <= 0x5d) || c === 0x7c;
const componentSet: EncodeSet = (c) => userinfoSet(c) || (c >= 0x24 && c <= 0x26) || c === 0x2b || c === 0x2c;
const formSet: EncodeSet = (c) => componentSet(c) || c === 0x21 || (c >= 0x27 && c <= 0x29) || c === 0x7e;

function utf8Bytes(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
}
const HEX = '0123456789ABCDEF';
function pctByte(b: number): string { return '%' + HEX[b >> 4] + HEX[b & 15]; }
/** UTF-8 percent-encode one code point (lone surrogates become U+FFFD). */
function encodeCp(cp: number, set: EncodeSet, spaceAsPlus = false): string {
  if (cp < 0x80) {
    // hot path: ASCII needs no UTF-8 step (and no allocation)
    if (spaceAsPlus && cp === 0x20) return '+';
    return set(cp) ? pctByte(cp) : String.fromCharCode(cp);
  }
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
  const bytes = utf8Bytes(cp);
  if (bytes.length === 1 && !set(cp)) return String.fromCharCode(cp);
  return bytes.map(pctByte).join('');
}
function encodeString(s: string, set: EncodeSet, spaceAsPlus = false): string {
  // fast path: nothing to encode
  let clean = true;
  for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); if (c >= 0x80 || set(c) || (spaceAsPlus && c === 0x20)) { clean = false; break; } }
  if (clean) return s;
  let out = '';
  for (const ch of s) out += encodeCp(ch.codePointAt(0)!, set, spaceAsPlus);
  return out;
}

export function percentDecodeBytes(s: string): number[] {
  const bytes: number[] = [];
  for (const ch of s) for (const b of utf8Bytes(cpNoSurrogate(ch.codePointAt(0)!))) bytes.push(b);
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x25 && i + 2 < bytes.length && isASCIIHex(bytes[i + 1]!) && isASCIIHex(bytes[i + 2]!)) {
      out.push(parseInt(String.fromCharCode(bytes[i + 1]!, bytes[i + 2]!), 16));
      i += 2;
    } else out.push(b);
  }
  return out;
}
const cpNoSurrogate = (cp: number) => (cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp);

/** UTF-8 decode without BOM, replacing invalid sequences. */
function utf8Decode(bytes: number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    let need = 0, cp = 0, lower = 0x80, upper = 0xbf;
    if (b < 0x80) { out += String.fromCharCode(b); i++; continue; }
    if (b >= 0xc2 && b <= 0xdf) { need = 1; cp = b & 0x1f; }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; cp = b & 0xf; if (b === 0xe0) lower = 0xa0; if (b === 0xed) upper = 0x9f; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; cp = b & 7; if (b === 0xf0) lower = 0x90; if (b === 0xf4) upper = 0x8f; }
    else { out += '\uFFFD'; i++; continue; }
    let j = 1;
    for (; j <= need; j++) {
      const c = bytes[i + j];
      if (c === undefined || c < lower || c > upper) break;
      lower = 0x80; upper = 0xbf;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (j <= need) { out += '\uFFFD'; i += j; continue; }
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}
export function percentDecodeString(s: string): string { return utf8Decode(percentDecodeBytes(s)); }

// ---- hosts
type Host = string; // serialized host; '' is the empty host
const forbiddenHost = (c: number) => c === 0 || c === 9 || c === 0xa || c === 0xd || c === 0x20 || c === 0x23 || c === 0x2f || c === 0x3a || c === 0x3c || c === 0x3e || c === 0x3f || c === 0x40 || c === 0x5b || c === 0x5c || c === 0x5d || c === 0x5e || c === 0x7c;
const forbiddenDomain = (c: number) => forbiddenHost(c) || (c <= 0x1f) || c === 0x25 || c === 0x7f;

const FAIL = Symbol('failure');
type Fail = typeof FAIL;

function parseHost(input: string, isOpaque: boolean): Host | Fail {
  if (input.startsWith('[')) {
    if (!input.endsWith(']')) return FAIL;
    const v6 = parseIPv6(input.slice(1, -1));
    return v6 === FAIL ? FAIL : `[${serializeIPv6(v6)}]`;
  }
  if (isOpaque) {
    for (const ch of input) if (ch.codePointAt(0)! !== 0x25 && forbiddenHost(ch.codePointAt(0)!)) return FAIL;
    return encodeString(input, c0Control);
  }
  const domain = percentDecodeString(input);
  const ascii = domainToASCII(domain);
  if (ascii === FAIL || ascii === '') return FAIL;
  for (let i = 0; i < ascii.length; i++) if (forbiddenDomain(ascii.charCodeAt(i))) return FAIL;
  if (endsInNumber(ascii)) {
    const v4 = parseIPv4(ascii);
    return v4 === FAIL ? FAIL : serializeIPv4(v4);
  }
  return ascii;
}

function endsInNumber(s: string): boolean {
  const parts = s.split('.');
  if (parts[parts.length - 1] === '') { if (parts.length === 1) return false; parts.pop(); }
  const last = parts[parts.length - 1]!;
  if (last !== '' && /^[0-9]+$/.test(last)) return true;
  return parseIPv4Number(last) !== FAIL;
}
function parseIPv4Number(s: string): number | Fail {
  if (s === '') return FAIL;
  let radix = 10;
  if (s.length >= 2 && (s.startsWith('0x') || s.startsWith('0X'))) { radix = 16; s = s.slice(2); }
  else if (s.length >= 2 && s.startsWith('0')) { radix = 8; s = s.slice(1); }
  if (s === '') return 0;
  const ok = radix === 10 ? /^[0-9]+$/ : radix === 16 ? /^[0-9A-Fa-f]+$/ : /^[0-7]+$/;
  if (!ok.test(s)) return FAIL;
  return parseInt(s, radix);
}
function parseIPv4(s: string): number | Fail {
  const parts = s.split('.');
  if (parts[parts.length - 1] === '' && parts.length > 1) parts.pop();
  if (parts.length > 4) return FAIL;
  const nums: number[] = [];
  for (const p of parts) { const n = parseIPv4Number(p); if (n === FAIL) return FAIL; nums.push(n); }
  for (let i = 0; i < nums.length - 1; i++) if (nums[i]! > 255) return FAIL;
  const last = nums[nums.length - 1]!;
  if (last >= 256 ** (5 - nums.length)) return FAIL;
  let ipv4 = last;
  for (let i = 0; i < nums.length - 1; i++) ipv4 += nums[i]! * 256 ** (3 - i);
  return ipv4;
}
function serializeIPv4(n: number): string {
  const out: number[] = [];
  for (let i = 0; i < 4; i++) { out.unshift(n % 256); n = Math.floor(n / 256); }
  return out.join('.');
}
function parseIPv6(input: string): number[] | Fail {
  const address = [0, 0, 0, 0, 0, 0, 0, 0];
  let pieceIndex = 0;
  let compress: number | null = null;
  let p = 0;
  const cps = Array.from(input, (c) => c.codePointAt(0)!);
  const at = (i: number) => cps[i];
  if (at(p) === 0x3a) {
    if (at(p + 1) !== 0x3a) return FAIL;
    p += 2;
    pieceIndex++;
    compress = pieceIndex;
  }
  while (at(p) !== undefined) {
    if (pieceIndex === 8) return FAIL;
    if (at(p) === 0x3a) {
      if (compress !== null) return FAIL;
      p++;
      pieceIndex++;
      compress = pieceIndex;
      continue;
    }
    let value = 0, length = 0;
    while (length < 4 && at(p) !== undefined && isASCIIHex(at(p)!)) { value = value * 16 + parseInt(String.fromCharCode(at(p)!), 16); p++; length++; }
    if (at(p) === 0x2e) {
      if (length === 0) return FAIL;
      p -= length;
      if (pieceIndex > 6) return FAIL;
      let numbersSeen = 0;
      while (at(p) !== undefined) {
        let ipv4Piece: number | null = null;
        if (numbersSeen > 0) {
          if (at(p) === 0x2e && numbersSeen < 4) p++;
          else return FAIL;
        }
        if (at(p) === undefined || !isASCIIDigit(at(p)!)) return FAIL;
        while (at(p) !== undefined && isASCIIDigit(at(p)!)) {
          const n = at(p)! - 0x30;
          if (ipv4Piece === null) ipv4Piece = n;
          else if (ipv4Piece === 0) return FAIL;
          else ipv4Piece = ipv4Piece * 10 + n;
          if (ipv4Piece > 255) return FAIL;
          p++;
        }
        address[pieceIndex] = address[pieceIndex]! * 0x100 + ipv4Piece!;
        numbersSeen++;
        if (numbersSeen === 2 || numbersSeen === 4) pieceIndex++;
      }
      if (numbersSeen !== 4) return FAIL;
      break;
    } else if (at(p) === 0x3a) {
      p++;
      if (at(p) === undefined) return FAIL;
    } else if (at(p) !== undefined) return FAIL;
    address[pieceIndex] = value;
    pieceIndex++;
  }
  if (compress !== null) {
    let swaps = pieceIndex - compress;
    pieceIndex = 7;
    while (pieceIndex !== 0 && swaps > 0) {
      const t = address[compress + swaps - 1]!;
      address[compress + swaps - 1] = address[pieceIndex]!;
      address[pieceIndex] = t;
      pieceIndex--;
      swaps--;
    }
  } else if (pieceIndex !== 8) return FAIL;
  return address;
}
function serializeIPv6(a: number[]): string {
  // compress the first longest run of two or more 0 pieces
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (a[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && a[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  let out = '';
  let ignore0 = false;
  for (let i = 0; i < 8; i++) {
    if (ignore0 && a[i] === 0) continue;
    ignore0 = false;
    if (best === i) { out += i === 0 ? '::' : ':'; ignore0 = true; continue; }
    out += a[i]!.toString(16);
    if (i !== 7) out += ':';
  }
  return out;
}

// ---- domain to ASCII (UTS #46 approximation) and Punycode (RFC 3492)
const DOT_LIKE = /[\u3002\uFF0E\uFF61]/g;
/** Code points UTS #46 maps to nothing (soft hyphen, joiners, variation selectors, BOM). */
const isIgnored = (c: number) => c === 0xad || c === 0x34f || (c >= 0x180b && c <= 0x180d) || c === 0x200b || c === 0x2060 || (c >= 0xfe00 && c <= 0xfe0f) || c === 0xfeff;
const isASCII = (s: string) => { for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false; return true; };
function trimC0Space(s: string): string {
  let a = 0, b = s.length;
  while (a < b && s.charCodeAt(a) <= 0x20) a++;
  while (b > a && s.charCodeAt(b - 1) <= 0x20) b--;
  return s.slice(a, b);
}
function domainToASCII(domain: string): string | Fail {
  let s = domain;
  // fast path: ASCII without Punycode labels only needs lowercasing
  if (isASCII(s) && !/(^|\.)xn--/i.test(s)) return s.toLowerCase();
  s = Array.from(s).filter((ch) => !isIgnored(ch.codePointAt(0)!)).join('').normalize('NFKC').toLowerCase().normalize('NFC').replace(DOT_LIKE, '.');
  const labels = s.split('.');
  const out: string[] = [];
  for (const label of labels) {
    if (/^xn--/.test(label)) {
      const decoded = punycodeDecode(label.slice(4));
      if (decoded === FAIL || decoded === '' || isASCII(decoded) || decoded.normalize('NFC') !== decoded) return FAIL;
      out.push(label);
    } else if (isASCII(label)) out.push(label);
    else {
      for (const ch of label) { const c = ch.codePointAt(0)!; if (c === 0xfffd || (c >= 0xd800 && c <= 0xdfff)) return FAIL; }
      const enc = punycodeEncode(label);
      if (enc === FAIL) return FAIL;
      out.push('xn--' + enc);
    }
  }
  return out.join('.');
}
const BASE = 36, TMIN = 1, TMAX = 26, SKEW = 38, DAMP = 700, INITIAL_BIAS = 72, INITIAL_N = 128;
function adapt(delta: number, numPoints: number, first: boolean): number {
  delta = first ? Math.floor(delta / DAMP) : delta >> 1;
  delta += Math.floor(delta / numPoints);
  let k = 0;
  while (delta > ((BASE - TMIN) * TMAX) >> 1) { delta = Math.floor(delta / (BASE - TMIN)); k += BASE; }
  return k + Math.floor(((BASE - TMIN + 1) * delta) / (delta + SKEW));
}
const digit = (d: number) => String.fromCharCode(d + 22 + 75 * (d < 26 ? 1 : 0));
function punycodeEncode(input: string): string | Fail {
  const cps = Array.from(input, (c) => c.codePointAt(0)!);
  let out = cps.filter((c) => c < 0x80).map((c) => String.fromCharCode(c)).join('');
  const b = out.length;
  let h = b;
  if (b > 0) out += '-';
  let n = INITIAL_N, delta = 0, bias = INITIAL_BIAS;
  while (h < cps.length) {
    let m = Infinity;
    for (const c of cps) if (c >= n && c < m) m = c;
    if ((m - n) * (h + 1) > 0x7fffffff - delta) return FAIL;
    delta += (m - n) * (h + 1);
    n = m;
    for (const c of cps) {
      if (c < n) delta++;
      if (c === n) {
        let q = delta;
        for (let k = BASE; ; k += BASE) {
          const t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
          if (q < t) break;
          out += digit(t + ((q - t) % (BASE - t)));
          q = Math.floor((q - t) / (BASE - t));
        }
        out += digit(q);
        bias = adapt(delta, h + 1, h === b);
        delta = 0;
        h++;
      }
    }
    delta++;
    n++;
  }
  return out;
}
function punycodeDecode(input: string): string | Fail {
  const out: number[] = [];
  let basic = input.lastIndexOf('-');
  if (basic < 0) basic = 0;
  for (let j = 0; j < basic; j++) { const c = input.charCodeAt(j); if (c >= 0x80) return FAIL; out.push(c); }
  let n = INITIAL_N, bias = INITIAL_BIAS, i = 0;
  for (let idx = basic > 0 ? basic + 1 : 0; idx < input.length;) {
    const oldi = i;
    for (let w = 1, k = BASE; ; k += BASE) {
      if (idx >= input.length) return FAIL;
      const c = input.charCodeAt(idx++);
      const d = c - 48 < 10 ? c - 22 : c - 65 < 26 ? c - 65 : c - 97 < 26 ? c - 97 : BASE;
      if (d >= BASE || d > Math.floor((0x7fffffff - i) / w)) return FAIL;
      i += d * w;
      const t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
      if (d < t) break;
      if (w > Math.floor(0x7fffffff / (BASE - t))) return FAIL;
      w *= BASE - t;
    }
    bias = adapt(i - oldi, out.length + 1, oldi === 0);
    if (Math.floor(i / (out.length + 1)) > 0x7fffffff - n) return FAIL;
    n += Math.floor(i / (out.length + 1));
    i %= out.length + 1;
    if (n > 0x10ffff) return FAIL;
    out.splice(i++, 0, n);
  }
  return String.fromCodePoint(...out);
}

// ---- URL record and the basic URL parser
interface URLRecord {
  scheme: string;
  username: string;
  password: string;
  host: Host | null;
  port: number | null;
  path: string[] | string; // string = opaque path
  query: string | null;
  fragment: string | null;
}

type State = 'schemeStart' | 'scheme' | 'noScheme' | 'specialRelativeOrAuthority' | 'pathOrAuthority' | 'relative' | 'relativeSlash' | 'specialAuthoritySlashes' | 'specialAuthorityIgnoreSlashes' | 'authority' | 'host' | 'hostname' | 'port' | 'file' | 'fileSlash' | 'fileHost' | 'pathStart' | 'path' | 'opaquePath' | 'query' | 'fragment';

const isWindowsDriveLetter = (s: string) => s.length === 2 && isASCIIAlpha(s.charCodeAt(0)) && (s[1] === ':' || s[1] === '|');
const isNormalizedWindowsDriveLetter = (s: string) => s.length === 2 && isASCIIAlpha(s.charCodeAt(0)) && s[1] === ':';
function startsWithWindowsDriveLetter(cps: number[], p: number): boolean {
  if (cps.length - p < 2) return false;
  if (!isASCIIAlpha(cps[p]!) || (cps[p + 1] !== 0x3a && cps[p + 1] !== 0x7c)) return false;
  if (cps.length - p === 2) return true;
  const c = cps[p + 2];
  return c === 0x2f || c === 0x5c || c === 0x3f || c === 0x23;
}
function shortenPath(url: URLRecord): void {
  const path = url.path as string[];
  if (url.scheme === 'file' && path.length === 1 && isNormalizedWindowsDriveLetter(path[0]!)) return;
  path.pop();
}
const isSingleDot = (s: string) => s === '.' || s.toLowerCase() === '%2e';
const isDoubleDot = (s: string) => { const l = s.toLowerCase(); return l === '..' || l === '.%2e' || l === '%2e.' || l === '%2e%2e'; };
const includesCredentials = (u: URLRecord) => u.username !== '' || u.password !== '';
const cannotHaveCreds = (u: URLRecord) => u.host === null || u.host === '' || u.scheme === 'file';

function basicParse(inputRaw: string, base: URLRecord | null, url?: URLRecord, stateOverride?: State): URLRecord | Fail | void {
  let input = inputRaw;
  if (!url) {
    url = { scheme: '', username: '', password: '', host: null, port: null, path: [], query: null, fragment: null };
    input = trimC0Space(input);
  }
  input = input.replace(/[\t\n\r]/g, '');
  let state: State = stateOverride ?? 'schemeStart';
  let buffer = '';
  let atSignSeen = false, insideBrackets = false, passwordTokenSeen = false;
  const cps = Array.from(input, (c) => c.codePointAt(0)!);
  const EOF = -1;
  // `special` only changes with the scheme: recomputed when it does, not per code point.
  let specialFor = '\u0000';
  let special = false;
  for (let p = 0; p <= cps.length; p++) {
    const c = p < cps.length ? cps[p]! : EOF;
    const ch = c === EOF ? '' : c < 0x10000 ? String.fromCharCode(c) : String.fromCodePoint(c);
    if (url.scheme !== specialFor) { specialFor = url.scheme; special = isSpecialScheme(specialFor); }
    switch (state) {
      case 'schemeStart':
        if (c !== EOF && isASCIIAlpha(c)) { buffer += ch.toLowerCase(); state = 'scheme'; }
        else if (!stateOverride) { state = 'noScheme'; p--; }
        else return FAIL;
        break;
      case 'scheme':
        if (c !== EOF && (isASCIIAlnum(c) || c === 0x2b || c === 0x2d || c === 0x2e)) buffer += ch.toLowerCase();
        else if (c === 0x3a) {
          if (stateOverride) {
            if (isSpecialScheme(url.scheme) !== isSpecialScheme(buffer)) return;
            if ((includesCredentials(url) || url.port !== null) && buffer === 'file') return;
            if (url.scheme === 'file' && url.host === '') return;
          }
          url.scheme = buffer;
          if (stateOverride) {
            if (url.port === SPECIAL[url.scheme + ':']) url.port = null;
            return;
          }
          buffer = '';
          if (url.scheme === 'file') state = 'file';
          else if (isSpecialScheme(url.scheme) && base && base.scheme === url.scheme) state = 'specialRelativeOrAuthority';
          else if (isSpecialScheme(url.scheme)) state = 'specialAuthoritySlashes';
          else if (cps[p + 1] === 0x2f) { state = 'pathOrAuthority'; p++; }
          else { url.path = ''; state = 'opaquePath'; }
        } else if (!stateOverride) { buffer = ''; state = 'noScheme'; p = -1; }
        else return FAIL;
        break;
      case 'noScheme':
        if (!base || (typeof base.path === 'string' && c !== 0x23)) return FAIL;
        if (typeof base.path === 'string' && c === 0x23) {
          url.scheme = base.scheme; url.path = base.path; url.query = base.query; url.fragment = ''; state = 'fragment';
        } else if (base.scheme !== 'file') { state = 'relative'; p--; }
        else { state = 'file'; p--; }
        break;
      case 'specialRelativeOrAuthority':
        if (c === 0x2f && cps[p + 1] === 0x2f) { state = 'specialAuthorityIgnoreSlashes'; p++; }
        else { state = 'relative'; p--; }
        break;
      case 'pathOrAuthority':
        if (c === 0x2f) state = 'authority';
        else { state = 'path'; p--; }
        break;
      case 'relative':
        url.scheme = base!.scheme;
        if (c === 0x2f) state = 'relativeSlash';
        else if (isSpecialScheme(url.scheme) && c === 0x5c) state = 'relativeSlash';
        else {
          url.username = base!.username; url.password = base!.password; url.host = base!.host; url.port = base!.port;
          url.path = [...(base!.path as string[])]; url.query = base!.query;
          if (c === 0x3f) { url.query = ''; state = 'query'; }
          else if (c === 0x23) { url.fragment = ''; state = 'fragment'; }
          else if (c !== EOF) { url.query = null; shortenPath(url); state = 'path'; p--; }
        }
        break;
      case 'relativeSlash':
        if (special && (c === 0x2f || c === 0x5c)) state = 'specialAuthorityIgnoreSlashes';
        else if (c === 0x2f) state = 'authority';
        else { url.username = base!.username; url.password = base!.password; url.host = base!.host; url.port = base!.port; state = 'path'; p--; }
        break;
      case 'specialAuthoritySlashes':
        if (c === 0x2f && cps[p + 1] === 0x2f) { state = 'specialAuthorityIgnoreSlashes'; p++; }
        else { state = 'specialAuthorityIgnoreSlashes'; p--; }
        break;
      case 'specialAuthorityIgnoreSlashes':
        if (c !== 0x2f && c !== 0x5c) { state = 'authority'; p--; }
        break;
      case 'authority':
        if (c === 0x40) {
          if (atSignSeen) buffer = '%40' + buffer;
          atSignSeen = true;
          for (const bch of buffer) {
            const bc = bch.codePointAt(0)!;
            if (bc === 0x3a && !passwordTokenSeen) { passwordTokenSeen = true; continue; }
            const enc = encodeCp(bc, userinfoSet);
            if (passwordTokenSeen) url.password += enc; else url.username += enc;
          }
          buffer = '';
        } else if (c === EOF || c === 0x2f || c === 0x3f || c === 0x23 || (special && c === 0x5c)) {
          if (atSignSeen && buffer === '') return FAIL;
          p -= Array.from(buffer).length + 1;
          buffer = '';
          state = 'host';
        } else buffer += ch;
        break;
      case 'host':
      case 'hostname':
        if (stateOverride && url.scheme === 'file') { p--; state = 'fileHost'; }
        else if (c === 0x3a && !insideBrackets) {
          if (buffer === '') return FAIL;
          if (stateOverride === 'hostname') return FAIL;
          const host = parseHost(buffer, !special);
          if (host === FAIL) return FAIL;
          url.host = host; buffer = ''; state = 'port';
        } else if (c === EOF || c === 0x2f || c === 0x3f || c === 0x23 || (special && c === 0x5c)) {
          p--;
          if (special && buffer === '') return FAIL;
          if (stateOverride && buffer === '' && (includesCredentials(url) || url.port !== null)) return FAIL;
          const host = parseHost(buffer, !special);
          if (host === FAIL) return FAIL;
          url.host = host; buffer = ''; state = 'pathStart';
          if (stateOverride) return;
        } else {
          if (c === 0x5b) insideBrackets = true;
          if (c === 0x5d) insideBrackets = false;
          buffer += ch;
        }
        break;
      case 'port':
        if (c !== EOF && isASCIIDigit(c)) buffer += ch;
        else if (c === EOF || c === 0x2f || c === 0x3f || c === 0x23 || (special && c === 0x5c) || stateOverride) {
          if (buffer !== '') {
            const port = parseInt(buffer, 10);
            if (port > 65535) return FAIL;
            url.port = SPECIAL[url.scheme + ':'] === port ? null : port;
            buffer = '';
            if (stateOverride) return;
          }
          if (stateOverride) return FAIL;
          state = 'pathStart'; p--;
        } else return FAIL;
        break;
      case 'file':
        url.scheme = 'file';
        url.host = '';
        if (c === 0x2f || c === 0x5c) state = 'fileSlash';
        else if (base && base.scheme === 'file') {
          url.host = base.host; url.path = [...(base.path as string[])]; url.query = base.query;
          if (c === 0x3f) { url.query = ''; state = 'query'; }
          else if (c === 0x23) { url.fragment = ''; state = 'fragment'; }
          else if (c !== EOF) {
            url.query = null;
            if (!startsWithWindowsDriveLetter(cps, p)) shortenPath(url);
            else url.path = [];
            state = 'path'; p--;
          }
        } else { state = 'path'; p--; }
        break;
      case 'fileSlash':
        if (c === 0x2f || c === 0x5c) state = 'fileHost';
        else {
          if (base && base.scheme === 'file') {
            url.host = base.host;
            if (!startsWithWindowsDriveLetter(cps, p) && typeof base.path !== 'string' && base.path[0] !== undefined && isNormalizedWindowsDriveLetter(base.path[0])) (url.path as string[]).push(base.path[0]);
          }
          state = 'path'; p--;
        }
        break;
      case 'fileHost':
        if (c === EOF || c === 0x2f || c === 0x5c || c === 0x3f || c === 0x23) {
          p--;
          if (!stateOverride && isWindowsDriveLetter(buffer)) state = 'path';
          else if (buffer === '') {
            url.host = '';
            if (stateOverride) return;
            state = 'pathStart';
          } else {
            let host = parseHost(buffer, false);
            if (host === FAIL) return FAIL;
            if (host === 'localhost') host = '';
            url.host = host;
            if (stateOverride) return;
            buffer = ''; state = 'pathStart';
          }
        } else buffer += ch;
        break;
      case 'pathStart':
        if (special) { state = 'path'; if (c !== 0x2f && c !== 0x5c) p--; }
        else if (!stateOverride && c === 0x3f) { url.query = ''; state = 'query'; }
        else if (!stateOverride && c === 0x23) { url.fragment = ''; state = 'fragment'; }
        else if (c !== EOF) { state = 'path'; if (c !== 0x2f) p--; }
        else if (stateOverride && url.host === null) (url.path as string[]).push('');
        break;
      case 'path':
        if (c === EOF || c === 0x2f || (special && c === 0x5c) || (!stateOverride && (c === 0x3f || c === 0x23))) {
          const path = url.path as string[];
          if (isDoubleDot(buffer)) {
            shortenPath(url);
            if (c !== 0x2f && !(special && c === 0x5c)) path.push('');
          } else if (isSingleDot(buffer) && c !== 0x2f && !(special && c === 0x5c)) path.push('');
          else if (!isSingleDot(buffer)) {
            if (url.scheme === 'file' && path.length === 0 && isWindowsDriveLetter(buffer)) buffer = buffer[0] + ':';
            path.push(buffer);
          }
          buffer = '';
          if (c === 0x3f) { url.query = ''; state = 'query'; }
          if (c === 0x23) { url.fragment = ''; state = 'fragment'; }
        } else buffer += encodeCp(c, pathSet);
        break;
      case 'opaquePath':
        if (c === 0x3f) { url.query = ''; state = 'query'; }
        else if (c === 0x23) { url.fragment = ''; state = 'fragment'; }
        else if (c === 0x20) {
          const next = cps[p + 1];
          url.path = (url.path as string) + (next === 0x3f || next === 0x23 ? '%20' : ' ');
        } else if (c !== EOF) url.path = (url.path as string) + encodeCp(c, c0Control);
        break;
      case 'query':
        if ((!stateOverride && c === 0x23) || c === EOF) {
          const set = isSpecialScheme(url.scheme) ? specialQuerySet : querySet;
          url.query = (url.query ?? '') + encodeString(buffer, set);
          buffer = '';
          if (c === 0x23) { url.fragment = ''; state = 'fragment'; }
        } else if (c !== EOF) buffer += ch;
        break;
      case 'fragment':
        if (c !== EOF) url.fragment = (url.fragment ?? '') + encodeCp(c, fragmentSet);
        break;
    }
  }
  return url;
}

function serializePath(u: URLRecord): string {
  if (typeof u.path === 'string') return u.path;
  let out = '';
  if (u.host === null && u.path.length > 1 && u.path[0] === '') out += '/.';
  for (const seg of u.path) out += '/' + seg;
  return out;
}
function serializeURL(u: URLRecord, excludeFragment = false): string {
  let out = u.scheme + ':';
  if (u.host !== null) {
    out += '//';
    if (includesCredentials(u)) {
      out += u.username;
      if (u.password !== '') out += ':' + u.password;
      out += '@';
    }
    out += u.host;
    if (u.port !== null) out += ':' + u.port;
  }
  out += serializePath(u);
  if (u.query !== null) out += '?' + u.query;
  if (!excludeFragment && u.fragment !== null) out += '#' + u.fragment;
  return out;
}
function serializeOrigin(u: URLRecord): string {
  switch (u.scheme) {
    case 'blob': {
      if (typeof u.path !== 'string') return 'null';
      const inner = basicParse(u.path, null);
      if (inner && inner !== FAIL && (inner.scheme === 'http' || inner.scheme === 'https')) return serializeOrigin(inner);
      return 'null';
    }
    case 'ftp': case 'http': case 'https': case 'ws': case 'wss':
      return `${u.scheme}://${u.host}${u.port !== null ? ':' + u.port : ''}`;
    default: return 'null';
  }
}

// ---- application/x-www-form-urlencoded
function formParse(input: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const seq of input.split('&')) {
    if (seq === '') continue;
    const i = seq.indexOf('=');
    const name = i < 0 ? seq : seq.slice(0, i);
    const value = i < 0 ? '' : seq.slice(i + 1);
    out.push([percentDecodeString(name.replace(/\+/g, ' ')), percentDecodeString(value.replace(/\+/g, ' '))]);
  }
  return out;
}
function formSerialize(list: Array<[string, string]>): string {
  return list.map(([n, v]) => `${encodeString(n, formSet, true)}=${encodeString(v, formSet, true)}`).join('&');
}

const toUSV = (s: unknown) => { const str = String(s); return (str as unknown as { toWellFormed(): string }).toWellFormed(); };

// ---- URL
const urlRecords = new WeakMap<object, { url: URLRecord; query: URLSearchParams }>();
function ur(u: unknown) {
  const s = urlRecords.get(u as object);
  if (!s) throw new TypeError('Illegal invocation: not a URL');
  return s;
}
const searchState = new WeakMap<object, { list: Array<[string, string]>; url: URL | null }>();
function ss(p: unknown) {
  const s = searchState.get(p as object);
  if (!s) throw new TypeError('Illegal invocation: not a URLSearchParams');
  return s;
}

function parseAPI(url: unknown, base?: unknown): URLRecord | Fail {
  let baseRec: URLRecord | null = null;
  if (base !== undefined) {
    const b = basicParse(toUSV(base), null);
    if (!b || b === FAIL) return FAIL;
    baseRec = b;
  }
  const input = toUSV(url);
  if (baseRec === null) { const fast = parseSimple(input); if (fast) return fast; }
  const r = basicParse(input, baseRec);
  return !r || r === FAIL ? FAIL : r;
}

/**
 * Fast path for the common absolute http(s) URL that the basic URL parser would return unchanged apart from
 * lowercasing the scheme and host and dropping a default port: printable ASCII only, no credentials, a
 * lowercase-able domain whose last label starts with a letter (so it cannot "end in a number") or a canonical
 * dotted-quad IPv4, no dot segments, no character any percent-encode set would touch. Anything else → the parser.
 */
const SIMPLE = /^(https?):\/\/([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)(?::([0-9]{1,5}))?(\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*)?(?:\?([!$%&()*+,\-./0-9:;=?@A-Z[\]\\^_a-z{|}~`]*))?(?:#([!#$%&'()*+,\-./0-9:;=?@A-Z[\]\\^_a-z{|}~]*))?$/i;
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e)(?:\.|%2e)?(?:\/|$)/i;
const DOTTED_QUAD = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
function parseSimple(input: string): URLRecord | undefined {
  const m = SIMPLE.exec(input);
  if (!m) return undefined;
  const [, rawScheme, rawHost, rawPort, path = '/', query, fragment] = m;
  const host = rawHost!.toLowerCase();
  const lastLabel = host.slice(host.lastIndexOf('.') + 1);
  if (!(/^[a-z]/.test(lastLabel) && !/(^|\.)xn--/.test(host)) && !DOTTED_QUAD.test(host)) return undefined;
  if (host.startsWith('.') || host.includes('..')) return undefined;
  if (DOT_SEGMENT.test(path)) return undefined;
  const scheme = rawScheme!.toLowerCase();
  let port: number | null = null;
  if (rawPort !== undefined) {
    port = parseInt(rawPort, 10);
    if (port > 65535) return undefined;
    if (port === SPECIAL[scheme + ':']) port = null;
  }
  return { scheme, username: '', password: '', host, port, path: path.slice(1).split('/'), query: query ?? null, fragment: fragment ?? null };
}

export class URL {
  constructor(url: string, base?: string) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'URL': 1 argument required, but only 0 present.");
    const rec = parseAPI(url, base);
    if (rec === FAIL) throw new TypeError(`Invalid URL: ${JSON.stringify(String(url))}${base !== undefined ? ` (base ${JSON.stringify(String(base))})` : ''}`);
    initURL(this, rec);
  }
  static parse(url: string, base?: string): URL | null {
    if (arguments.length === 0) throw new TypeError('URL.parse: 1 argument required');
    const rec = parseAPI(url, base);
    if (rec === FAIL) return null;
    const u = Object.create(URL.prototype) as URL;
    initURL(u, rec);
    return u;
  }
  static canParse(url: string, base?: string): boolean {
    if (arguments.length === 0) throw new TypeError('URL.canParse: 1 argument required');
    return parseAPI(url, base) !== FAIL;
  }
  get href(): string { return serializeURL(ur(this).url); }
  set href(v: string) {
    const r = basicParse(toUSV(v), null);
    if (!r || r === FAIL) throw new TypeError(`Invalid URL: ${JSON.stringify(String(v))}`);
    const s = ur(this);
    s.url = r;
    ss(s.query).list = r.query === null ? [] : formParse(r.query);
  }
  get origin(): string { return serializeOrigin(ur(this).url); }
  get protocol(): string { return ur(this).url.scheme + ':'; }
  set protocol(v: string) { const u = ur(this).url; basicParse(toUSV(v) + ':', null, u, 'schemeStart'); }
  get username(): string { return ur(this).url.username; }
  set username(v: string) { const u = ur(this).url; if (cannotHaveCreds(u)) return; u.username = encodeString(toUSV(v), userinfoSet); }
  get password(): string { return ur(this).url.password; }
  set password(v: string) { const u = ur(this).url; if (cannotHaveCreds(u)) return; u.password = encodeString(toUSV(v), userinfoSet); }
  get host(): string { const u = ur(this).url; return u.host === null ? '' : u.port === null ? u.host : `${u.host}:${u.port}`; }
  set host(v: string) { const u = ur(this).url; if (typeof u.path === 'string') return; basicParse(toUSV(v), null, u, 'host'); }
  get hostname(): string { return ur(this).url.host ?? ''; }
  set hostname(v: string) { const u = ur(this).url; if (typeof u.path === 'string') return; basicParse(toUSV(v), null, u, 'hostname'); }
  get port(): string { const p = ur(this).url.port; return p === null ? '' : String(p); }
  set port(v: string) {
    const u = ur(this).url;
    if (cannotHaveCreds(u)) return;
    const s = toUSV(v);
    if (s === '') u.port = null;
    else basicParse(s, null, u, 'port');
  }
  get pathname(): string { return serializePath(ur(this).url); }
  set pathname(v: string) {
    const u = ur(this).url;
    if (typeof u.path === 'string') return;
    u.path = [];
    basicParse(toUSV(v), null, u, 'pathStart');
  }
  get search(): string { const q = ur(this).url.query; return q === null || q === '' ? '' : '?' + q; }
  set search(v: string) {
    const s = ur(this);
    const input = toUSV(v);
    if (input === '') { s.url.query = null; ss(s.query).list = []; stripTrailingSpaces(s.url); return; }
    const q = input.startsWith('?') ? input.slice(1) : input;
    s.url.query = '';
    basicParse(q, null, s.url, 'query');
    ss(s.query).list = formParse(q);
  }
  get searchParams(): URLSearchParams { return ur(this).query; }
  get hash(): string { const f = ur(this).url.fragment; return f === null || f === '' ? '' : '#' + f; }
  set hash(v: string) {
    const u = ur(this).url;
    const input = toUSV(v);
    if (input === '') { u.fragment = null; stripTrailingSpaces(u); return; }
    u.fragment = '';
    basicParse(input.startsWith('#') ? input.slice(1) : input, null, u, 'fragment');
  }
  toString(): string { return this.href; }
  toJSON(): string { return this.href; }
  get [Symbol.toStringTag](): string { return 'URL'; }
}
function stripTrailingSpaces(u: URLRecord): void {
  if (typeof u.path !== 'string' || u.fragment !== null || u.query !== null) return;
  u.path = u.path.replace(/ +$/, '');
}
function initURL(u: URL, rec: URLRecord): void {
  const query = new URLSearchParams();
  ss(query).list = rec.query === null ? [] : formParse(rec.query);
  ss(query).url = u;
  urlRecords.set(u, { url: rec, query });
}
for (const k of ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'searchParams', 'hash', 'toString', 'toJSON']) {
  Object.defineProperty(URL.prototype, k, { ...Object.getOwnPropertyDescriptor(URL.prototype, k)!, enumerable: true });
}

// ---- URLSearchParams
function updateURL(p: URLSearchParams): void {
  const s = ss(p);
  if (!s.url) return;
  const rec = ur(s.url).url;
  const serialized = formSerialize(s.list);
  rec.query = serialized === '' ? null : serialized;
  if (serialized === '') stripTrailingSpaces(rec);
}

export class URLSearchParams {
  constructor(init: unknown = '') {
    const list: Array<[string, string]> = [];
    searchState.set(this, { list, url: null });
    if (init !== null && (typeof init === 'object' || typeof init === 'function')) {
      const iter = (init as { [Symbol.iterator]?: unknown })[Symbol.iterator];
      if (iter !== undefined) {
        if (typeof iter !== 'function') throw new TypeError('URLSearchParams: init[Symbol.iterator] is not a function');
        for (const pair of init as Iterable<unknown>) {
          if (pair === null || (typeof pair !== 'object' && typeof pair !== 'function')) throw new TypeError('URLSearchParams: each pair must be an iterable [name, value]');
          const a = Array.from(pair as Iterable<unknown>);
          if (a.length !== 2) throw new TypeError(`URLSearchParams: a pair must have exactly 2 items, got ${a.length}`);
          list.push([toUSV(a[0]), toUSV(a[1])]);
        }
      } else {
        // WebIDL record<USVString, USVString>: keys that convert to the same string keep the first position and the last value.
        const record = new Map<string, string>();
        for (const key of Reflect.ownKeys(init as object)) {
          const d = Reflect.getOwnPropertyDescriptor(init as object, key);
          if (!d?.enumerable) continue;
          if (typeof key === 'symbol') throw new TypeError('URLSearchParams: record keys must be strings');
          record.set(toUSV(key), toUSV((init as Record<string, unknown>)[key]));
        }
        list.push(...record);
      }
      return;
    }
    let s = toUSV(init);
    if (s.startsWith('?')) s = s.slice(1);
    list.push(...formParse(s));
  }
  get size(): number { return ss(this).list.length; }
  append(name: string, value: string): void {
    if (arguments.length < 2) throw new TypeError('URLSearchParams.append: 2 arguments required');
    ss(this).list.push([toUSV(name), toUSV(value)]); updateURL(this);
  }
  delete(name: string, value?: string): void {
    const s = ss(this);
    const n = toUSV(name);
    const v = value === undefined ? undefined : toUSV(value);
    s.list = s.list.filter(([k, x]) => !(k === n && (v === undefined || x === v)));
    updateURL(this);
  }
  get(name: string): string | null { const n = toUSV(name); return ss(this).list.find(([k]) => k === n)?.[1] ?? null; }
  getAll(name: string): string[] { const n = toUSV(name); return ss(this).list.filter(([k]) => k === n).map(([, v]) => v); }
  has(name: string, value?: string): boolean {
    const n = toUSV(name);
    const v = value === undefined ? undefined : toUSV(value);
    return ss(this).list.some(([k, x]) => k === n && (v === undefined || x === v));
  }
  set(name: string, value: string): void {
    if (arguments.length < 2) throw new TypeError('URLSearchParams.set: 2 arguments required');
    const s = ss(this);
    const n = toUSV(name), v = toUSV(value);
    const i = s.list.findIndex(([k]) => k === n);
    if (i < 0) s.list.push([n, v]);
    else { s.list[i] = [n, v]; s.list = s.list.filter(([k], j) => j <= i || k !== n); }
    updateURL(this);
  }
  sort(): void {
    const s = ss(this);
    // stable sort by UTF-16 code units of the name
    s.list = s.list.map((e, i) => [e, i] as const).sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1])).map(([e]) => e);
    updateURL(this);
  }
  forEach(cb: (value: string, key: string, parent: URLSearchParams) => void, thisArg?: unknown): void {
    if (typeof cb !== 'function') throw new TypeError("URLSearchParams.forEach: parameter 1 is not of type 'Function'");
    for (let i = 0; i < ss(this).list.length; i++) { const [k, v] = ss(this).list[i]!; cb.call(thisArg, v, k, this); }
  }
  entries(): IterableIterator<[string, string]> { return new ParamsIterator(this, 'entries') as unknown as IterableIterator<[string, string]>; }
  keys(): IterableIterator<string> { return new ParamsIterator(this, 'keys') as unknown as IterableIterator<string>; }
  values(): IterableIterator<string> { return new ParamsIterator(this, 'values') as unknown as IterableIterator<string>; }
  [Symbol.iterator](): IterableIterator<[string, string]> { return this.entries(); }
  toString(): string { return formSerialize(ss(this).list); }
  get [Symbol.toStringTag](): string { return 'URLSearchParams'; }
}
const IteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
class ParamsIterator {
  #p: URLSearchParams; #kind: string; #i = 0;
  constructor(p: URLSearchParams, kind: string) { this.#p = p; this.#kind = kind; }
  next(): IteratorResult<unknown> {
    const list = ss(this.#p).list;
    if (this.#i >= list.length) return { value: undefined, done: true };
    const [k, v] = list[this.#i++]!;
    return { value: this.#kind === 'keys' ? k : this.#kind === 'values' ? v : [k, v], done: false };
  }
  get [Symbol.toStringTag](): string { return 'URLSearchParams Iterator'; }
}
Object.setPrototypeOf(ParamsIterator.prototype, IteratorPrototype);
webidlInterface(ParamsIterator, 'URLSearchParams Iterator');

expose('URL', URL);
expose('URLSearchParams', URLSearchParams);
