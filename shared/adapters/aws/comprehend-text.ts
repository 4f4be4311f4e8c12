/** Fitting text to Amazon Comprehend's per-document limits, which are in UTF-8 bytes. */

const encoder = new TextEncoder();

export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/** The longest prefix of `text` within `maxBytes` UTF-8 bytes, never splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = utf8Length(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}

export interface TextSpan {
  start: number;
  end: number;
}

/**
 * The text's sentences as spans (Intl.Segmenter, no whitespace at either end), each cut at whitespace
 * (or, with none, anywhere) so that no span exceeds `maxBytes`.
 */
export function sentenceSpans(text: string, maxBytes: number): TextSpan[] {
  const spans: TextSpan[] = [];
  for (const { segment, index } of new Intl.Segmenter("en", { granularity: "sentence" }).segment(text)) {
    const lead = segment.length - segment.trimStart().length;
    const trimmed = segment.trim();
    if (trimmed) spans.push(...cut(text, index + lead, index + lead + trimmed.length, maxBytes));
  }
  return spans;
}

function cut(text: string, start: number, end: number, maxBytes: number): TextSpan[] {
  const spans: TextSpan[] = [];
  while (start < end) {
    const fits = truncateUtf8(text.slice(start, end), maxBytes);
    let stop = start + fits.length;
    if (stop < end) {
      const space = fits.search(/\s\S*$/);
      if (space > 0) stop = start + space;
    }
    spans.push({ start, end: stop });
    start = stop;
    while (start < end && /\s/.test(text[start]!)) start++;
  }
  return spans;
}
