/**
 * The font the case file's PDF sets Chinese in: Noto Sans SC's simplified-Chinese set (some 8 000
 * characters, Latin included) from @fontsource/noto-sans-sc, as the plain TrueType font inside its WOFF.
 * fontkit reads WOFF itself, but inflates its 1.5 MB with a pure-JS inflater on every document (a second
 * or so each); unpacked once here with node's zlib and kept, each PDF parses the TrueType bytes at once.
 * WOFF 1.0 (W3C): a header, a directory of tables (each zlib-compressed unless no smaller), the tables.
 */
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';

const WOFF_PATH = require.resolve('@fontsource/noto-sans-sc/files/noto-sans-sc-chinese-simplified-400-normal.woff');

/** The sfnt (TrueType/OpenType) font a WOFF 1.0 file wraps. */
export function sfntOfWoff(woff: Buffer): Buffer {
  if (woff.toString('latin1', 0, 4) !== 'wOFF') throw new Error('not a WOFF 1.0 font');
  const flavor = woff.readUInt32BE(4);
  const numTables = woff.readUInt16BE(12);
  const tables = Array.from({ length: numTables }, (_, i) => {
    const at = 44 + i * 20;
    const offset = woff.readUInt32BE(at + 4);
    const compLength = woff.readUInt32BE(at + 8);
    const origLength = woff.readUInt32BE(at + 12);
    const stored = woff.subarray(offset, offset + compLength);
    const data = compLength < origLength ? inflateSync(stored) : stored;
    if (data.length !== origLength) throw new Error('a WOFF table did not inflate to its length');
    return { tag: woff.readUInt32BE(at), checksum: woff.readUInt32BE(at + 16), data };
  });
  // The sfnt offset table and its binary-search fields, then each table 4-byte aligned, in tag order.
  const power = 2 ** Math.floor(Math.log2(numTables));
  const head = Buffer.alloc(12 + 16 * numTables);
  head.writeUInt32BE(flavor, 0);
  head.writeUInt16BE(numTables, 4);
  head.writeUInt16BE(power * 16, 6);
  head.writeUInt16BE(Math.log2(power), 8);
  head.writeUInt16BE(numTables * 16 - power * 16, 10);
  const parts: Buffer[] = [head];
  let offset = head.length;
  tables.sort((a, b) => a.tag - b.tag);
  for (const [i, t] of tables.entries()) {
    head.writeUInt32BE(t.tag, 12 + i * 16);
    head.writeUInt32BE(t.checksum, 16 + i * 16);
    head.writeUInt32BE(offset, 20 + i * 16);
    head.writeUInt32BE(t.data.length, 24 + i * 16);
    const padded = Buffer.alloc(Math.ceil(t.data.length / 4) * 4);
    t.data.copy(padded);
    parts.push(padded);
    offset += padded.length;
  }
  return Buffer.concat(parts);
}

let font: Buffer | undefined;

/** The CJK font's TrueType bytes, unpacked on first use. */
export function cjkFont(): Buffer {
  font ??= sfntOfWoff(readFileSync(WOFF_PATH));
  return font;
}
