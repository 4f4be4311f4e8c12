import winkNLP, { type Detail, type ItsFunction, type WinkMethods } from "wink-nlp";
import model from "wink-eng-lite-web-model";

/**
 * wink-nlp with its English lite model (offline: the model ships in the npm package), read into plain
 * sentences and tokens with offsets into the original text, so the engines work on typed data and quote
 * the meeting verbatim.
 */

/** The installed versions (a unit test checks them against node_modules); they go into engine names. */
export const WINK_NLP_VERSION = "2.4.0";
export const WINK_MODEL_VERSION = "1.8.1";

export interface WinkToken {
  value: string;
  /** Lower-cased, contractions expanded ("'ll" → "will"). */
  normal: string;
  lemma: string;
  /** Universal POS tag (NOUN, VERB, PROPN, PRON, AUX, ADP, PUNCT, …). */
  pos: string;
  /** word, number, punctuation, emoji, … */
  type: string;
  stopWord: boolean;
  /** Character offsets into the analysed text (`end` exclusive). */
  start: number;
  end: number;
}

export interface WinkEntity {
  /** DATE, TIME, DURATION, … */
  type: string;
  /** Token indices within the sentence, inclusive. */
  first: number;
  last: number;
}

export interface WinkSentence {
  /** The sentence exactly as it appears in the text. */
  text: string;
  start: number;
  end: number;
  /** −1 … 1 */
  sentiment: number;
  tokens: WinkToken[];
  entities: WinkEntity[];
}

export interface WinkDocument {
  sentiment: number;
  sentences: WinkSentence[];
}

let instance: WinkMethods | undefined;

/** The pipeline, built once per process (~70 ms: the model's lexicon and tables). */
export function winkPipeline(): WinkMethods {
  instance ??= winkNLP(model);
  return instance;
}

// wink's `out()` is typed `T | string` whatever it returns; these name what each call really gives.
const strings = (value: unknown) => value as string[];
const booleans = (value: unknown) => value as boolean[];
const span = (value: unknown) => value as [number, number];

/** Analyses one text: its sentences, tokens, entities and sentiment. */
export function analyse(text: string): WinkDocument {
  const nlp = winkPipeline();
  const { its } = nlp;
  const doc = nlp.readDoc(text);
  const tokens = doc.tokens();
  const values = strings(tokens.out(its.value));
  const spaces = strings(tokens.out(its.precedingSpaces));
  const normals = strings(tokens.out(its.normal));
  // Its declared signature takes the model's addons where wink's token helpers take a cache; it works.
  const lemmas = strings(tokens.out(its.lemma as unknown as ItsFunction<string>));
  const tags = strings(tokens.out(its.pos));
  const types = strings(tokens.out(its.type));
  const stops = booleans(tokens.out(its.stopWordFlag));

  // wink keeps each token's value and the whitespace before it, so offsets follow by addition; the
  // search is a guard in case a token's value ever differs from the source text.
  let cursor = 0;
  const all: WinkToken[] = values.map((value, i) => {
    cursor += spaces[i]?.length ?? 0;
    let start = cursor;
    if (text.slice(start, start + value.length) !== value) {
      const found = text.indexOf(value, cursor);
      if (found >= 0) start = found;
    }
    cursor = start + value.length;
    return {
      value,
      normal: normals[i] ?? value.toLowerCase(),
      lemma: lemmas[i] ?? normals[i] ?? value.toLowerCase(),
      pos: tags[i] ?? "X",
      type: types[i] ?? "word",
      stopWord: stops[i] ?? false,
      start,
      end: cursor,
    };
  });

  const entities = doc.entities();
  const entityList = Array.from({ length: entities.length() }, (_, k) => {
    const entity = entities.itemAt(k);
    return { span: span(entity.out(its.span)), type: (entity.out(its.detail) as Detail).type };
  });

  const sentences: WinkSentence[] = [];
  const found = doc.sentences();
  for (let k = 0; k < found.length(); k++) {
    const sentence = found.itemAt(k);
    const [first, last] = span(sentence.out(its.span));
    const own = all.slice(first, last + 1);
    if (own.length === 0) continue;
    const start = own[0]!.start;
    const end = own[own.length - 1]!.end;
    sentences.push({
      text: text.slice(start, end),
      start,
      end,
      sentiment: Number(sentence.out(its.sentiment)),
      tokens: own,
      entities: entityList.flatMap(({ span: [from, to], type }) =>
        from >= first && to <= last ? [{ type, first: from - first, last: to - first }] : [],
      ),
    });
  }
  return { sentiment: Number(doc.out(its.sentiment)), sentences };
}
