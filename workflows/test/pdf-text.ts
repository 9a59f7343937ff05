/**
 * The text a PDF shows, read back from its bytes for tests: each text-showing operation (TJ/Tj)
 * decoded with the font it was set in: an embedded font through its ToUnicode map (the glyph ids
 * pdfkit writes), a standard font as WinAnsi bytes. Enough for pdfkit's own output; not a PDF reader.
 */
import { inflateSync } from 'node:zlib';

interface PdfObject {
  dict: string;
  stream?: Buffer;
}

function objects(pdf: Buffer): Map<number, PdfObject> {
  const text = pdf.toString('latin1');
  const found = new Map<number, PdfObject>();
  const header = /(\d+) 0 obj\s*/g;
  for (let m = header.exec(text); m; m = header.exec(text)) {
    const from = m.index + m[0].length;
    const streamAt = text.indexOf('stream', from);
    const endAt = text.indexOf('endobj', from);
    const length = /\/Length (\d+)/.exec(text.slice(from, Math.min(streamAt < 0 ? endAt : streamAt, endAt)))?.[1];
    if (streamAt < 0 || streamAt > endAt || length === undefined) {
      found.set(Number(m[1]), { dict: text.slice(from, endAt) });
      continue;
    }
    const dict = text.slice(from, streamAt);
    const start = streamAt + 'stream'.length + (text[streamAt + 6] === '\r' ? 2 : 1);
    const raw = pdf.subarray(start, start + Number(length));
    found.set(Number(m[1]), { dict, stream: /\/FlateDecode/.test(dict) ? inflateSync(raw) : raw });
    header.lastIndex = start + Number(length);
  }
  return found;
}

/** A ToUnicode CMap's code -> text (bfchar and bfrange, UTF-16BE targets). */
function toUnicode(cmap: string): Map<number, string> {
  const utf16 = (hex: string) => Buffer.from(hex, 'hex').swap16().toString('utf16le');
  const map = new Map<number, string>();
  for (const block of cmap.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const m of (block[1] as string).matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g)) {
      map.set(Number.parseInt(m[1] as string, 16), utf16(m[2] as string));
    }
  }
  for (const block of cmap.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const m of (block[1] as string).matchAll(
      /<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(\[[^\]]*\]|<[0-9a-fA-F]+>)/g,
    )) {
      const from = Number.parseInt(m[1] as string, 16);
      const to = Number.parseInt(m[2] as string, 16);
      const target = m[3] as string;
      if (target.startsWith('[')) {
        for (const [i, t] of [...target.matchAll(/<([0-9a-fA-F]+)>/g)].entries())
          map.set(from + i, utf16(t[1] as string));
      } else {
        const first = Number.parseInt(target.slice(1, -1), 16);
        for (let c = from; c <= to; c++) map.set(c, String.fromCharCode(first + c - from));
      }
    }
  }
  return map;
}

export interface PdfFont {
  name: string;
  baseFont: string;
  embedded: boolean;
}

/** The fonts the PDF uses (resource name, BaseFont, whether a font program is embedded), and its text, one line per text operation. */
export function pdfText(pdf: Buffer): { fonts: PdfFont[]; text: string } {
  const objs = objects(pdf);
  const fonts = new Map<string, PdfFont & { map?: Map<number, string> }>();
  for (const o of objs.values()) {
    for (const m of o.dict.matchAll(/\/(F\d+) (\d+) 0 R/g)) {
      const font = objs.get(Number(m[2]));
      if (!font || fonts.has(m[1] as string)) continue;
      const baseFont = /\/BaseFont \/([^\s/>]+)/.exec(font.dict)?.[1] ?? '?';
      const cmapRef = /\/ToUnicode (\d+) 0 R/.exec(font.dict)?.[1];
      const cmap = cmapRef ? objs.get(Number(cmapRef))?.stream : undefined;
      fonts.set(m[1] as string, {
        name: m[1] as string,
        baseFont,
        embedded: /\/Subtype \/Type0/.test(font.dict),
        ...(cmap ? { map: toUnicode(cmap.toString('latin1')) } : {}),
      });
    }
  }
  const lines: string[] = [];
  for (const o of objs.values()) {
    if (!o.stream || /\/(Length1|Subtype|Type \/XObject)/.test(o.dict)) continue;
    const content = o.stream.toString('latin1');
    if (!/\bBT\b/.test(content)) continue;
    let font: (typeof fonts extends Map<string, infer F> ? F : never) | undefined;
    for (const op of content.matchAll(/\/(F\d+) [\d.]+ Tf|\[((?:[^\]\\]|\\.)*)\] TJ|<([0-9a-fA-F]*)> Tj/g)) {
      if (op[1]) {
        font = fonts.get(op[1]);
        continue;
      }
      const hexes =
        op[2] !== undefined ? [...op[2].matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => h[1] as string) : [op[3] as string];
      const width = font?.map ? 4 : 2;
      let line = '';
      for (const hex of hexes) {
        for (let i = 0; i + width <= hex.length; i += width) {
          const code = Number.parseInt(hex.slice(i, i + width), 16);
          line += font?.map ? (font.map.get(code) ?? '\uFFFD') : String.fromCharCode(code);
        }
      }
      lines.push(line);
    }
  }
  return {
    fonts: [...fonts.values()].map(({ name, baseFont, embedded }) => ({ name, baseFont, embedded })),
    text: lines.join('\n'),
  };
}
