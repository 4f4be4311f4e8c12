import { duePhraseOf, resolveDueDate } from "./due-dates.js";
import {
  inMeetingOrder,
  type ActionItem,
  type ActionItemsEngine,
  type ActionItemsResult,
  type MeetingMessage,
} from "./engines.js";
import { analyse, WINK_NLP_VERSION, type WinkSentence, type WinkToken } from "./wink.js";

/**
 * The local action-item engine: rules over wink-nlp's sentences, part-of-speech tags and date entities.
 * It finds three shapes of sentence, and takes the owner, the task (from the verb on) and the due date:
 *
 * - a commitment — a subject, then will / shall / 'll / is going to / gonna / need to / have to / must,
 *   then a verb: "Alice will send the migration guide by Friday" (owner Alice), "I'll send the report by
 *   Friday" (owner: the speaker), "We need to fix the flaky test by EOD" (no single owner);
 * - a request — can / could / would / will you (please) + verb, or a leading "please" + verb: "Bob, can
 *   you review the PR by Thursday?" (owner: the person addressed, when named);
 * - a minute — "Action item: Grace to update the roadmap by Wednesday".
 *
 * Negated ("I won't …"), stative ("I'll be out tomorrow") and hearing-check ("can you hear me?")
 * sentences are not items. Due dates are wink's DATE/TIME entities (and EOD/COB, which it misses),
 * resolved against the message's timestamp by `resolveDueDate`.
 */
export class RuleBasedActionItemsEngine implements ActionItemsEngine {
  readonly engine = `wink-nlp@${WINK_NLP_VERSION}:rule-based-action-items`;

  async extract(messages: readonly MeetingMessage[]): Promise<ActionItemsResult> {
    const items: ActionItem[] = [];
    for (const message of inMeetingOrder(messages)) {
      for (const sentence of analyse(message.content).sentences) {
        const item = actionItemOf(sentence, message);
        if (item) items.push(item);
      }
    }
    return { items, engine: this.engine };
  }
}

const MODALS = new Set(["will", "shall", "must", "gonna"]);
const BE_PRESENT = new Set(["am", "is", "are", "'m", "'s", "'re", "m", "s", "re"]);
const NEED = new Set(["need", "needs", "have", "has"]);
const REQUEST_MODALS = new Set(["can", "could", "would", "will"]);
const NEGATIONS = new Set(["not", "n't", "never", "no"]);
/** Verbs that do not make a task: "I'll be out", "can you hear me?". */
const NOT_A_TASK = new Set(["be", "hear", "see"]);
/** Personal pronouns that name no one in particular (owner unknown); "I" is the speaker. */
const UNNAMED_SUBJECTS = new Set(["we", "you", "he", "she", "they", "someone", "somebody", "everyone"]);
/** Words between a verb phrase and its due date that belong to the date. */
const DUE_PREPOSITIONS = new Set(["by", "on", "before", "until", "till", "due"]);
const DUE_ENTITY_TYPES = new Set(["DATE", "TIME"]);

interface Shape {
  /** Index of the task's first token (the verb). */
  verb: number;
  owner?: string;
}

function actionItemOf(sentence: WinkSentence, message: MeetingMessage): ActionItem | undefined {
  const tokens = sentence.tokens;
  const shape = minute(tokens, message) ?? commitment(tokens, message) ?? request(tokens);
  if (!shape) return undefined;
  const verb = tokens[shape.verb];
  if (!verb || NOT_A_TASK.has(verb.lemma) || NOT_A_TASK.has(verb.normal)) return undefined;

  const due = dueOf(sentence, shape.verb);
  // The task: from the verb to the end, less the due date, a trailing vocative and final punctuation.
  let last = tokens.length - 1;
  while (last >= shape.verb && tokens[last]!.pos === "PUNCT") last--;
  const vocative = trailingVocative(tokens, shape.verb, last);
  if (vocative) last = vocative.before;
  const kept = tokens.slice(shape.verb, last + 1).filter((_, i) => !due?.tokens.has(shape.verb + i));
  while (kept.length > 0 && (kept[kept.length - 1]!.pos === "PUNCT" || kept[kept.length - 1]!.normal === "please"))
    kept.pop();
  // A lone auxiliary is no task ("What will you do?").
  if (kept.length === 0 || (kept.length === 1 && kept[0]!.pos === "AUX")) return undefined;
  const task = textOfTokens(kept);

  const owner = shape.owner ?? vocative?.name ?? leadingVocative(tokens);
  const resolved = due && resolveDueDate(due.phrase, message.timestamp);
  return {
    ...(owner !== undefined && { owner }),
    task,
    ...(due && { due: resolved ?? due.phrase, duePhrase: due.phrase }),
    messageId: message.id,
  };
}

/** "Action item: Grace to update the roadmap" / "Action item: update the roadmap". */
function minute(tokens: WinkToken[], message: MeetingMessage): Shape | undefined {
  const colon = tokens.findIndex((t) => t.value === ":");
  if (colon < 1 || colon > 3) return undefined;
  const label = tokens
    .slice(0, colon)
    .map((t) => t.normal)
    .join(" ");
  if (!/^(?:action items?|todo|to-do|to do)$/.test(label)) return undefined;
  const names = properNames(tokens, colon + 1);
  if (names && tokens[names.next]?.normal === "to") return { verb: names.next + 1, owner: names.text };
  if (names && tokens[names.next]?.normal === "will") return { verb: names.next + 1, owner: names.text };
  if (tokens[colon + 1]?.normal === "i" && tokens[colon + 2]?.normal === "will")
    return { verb: colon + 3, owner: message.senderName };
  return tokens.length > colon + 1 ? { verb: colon + 1 } : undefined;
}

/** Subject + will / 'll / shall / must / gonna / is going to / need(s) to / has to + verb. */
function commitment(tokens: WinkToken[], message: MeetingMessage): Shape | undefined {
  for (let i = 1; i < tokens.length; i++) {
    const after = markerEnd(tokens, i);
    if (after === undefined) continue;
    const subject = subjectBefore(tokens, i, message);
    if (!subject) continue;
    const verb = verbFrom(tokens, after);
    if (verb === undefined) return undefined;
    return { verb, ...(subject.owner !== undefined && { owner: subject.owner }) };
  }
  return undefined;
}

/** The index just past a future/obligation marker starting at `i`, if one starts there. */
function markerEnd(tokens: WinkToken[], i: number): number | undefined {
  const word = tokens[i]!.normal;
  if (MODALS.has(word)) return i + 1;
  if (BE_PRESENT.has(word) && tokens[i + 1]?.normal === "going" && tokens[i + 2]?.normal === "to") return i + 3;
  if (NEED.has(word) && tokens[i + 1]?.normal === "to") return i + 2;
  return undefined;
}

/** The subject right before a marker: a run of proper names ("Alice", "Alice and Bob") or a pronoun. */
function subjectBefore(
  tokens: WinkToken[],
  marker: number,
  message: MeetingMessage,
): { owner: string | undefined } | undefined {
  const before = tokens[marker - 1]!;
  // wink sometimes keeps a contraction whole and calls it a name ("I'm/PROPN gonna").
  const pronoun = before.normal.replace(/'(?:m|re|s)$/, "");
  if (pronoun === "i") return { owner: message.senderName };
  if (UNNAMED_SUBJECTS.has(pronoun)) return { owner: undefined };
  if (before.pos !== "PROPN") return undefined;
  let first = marker - 1;
  while (first > 0) {
    const prev = tokens[first - 1]!;
    if (prev.pos === "PROPN") first--;
    else if ((prev.normal === "and" || prev.value === "&") && tokens[first - 2]?.pos === "PROPN") first -= 2;
    else break;
  }
  // "Bob, Alice will …": the subject is Alice; a name followed by a comma is someone addressed.
  return { owner: textOfTokens(tokens.slice(first, marker)) };
}

/** The verb after a marker, past adverbs ("will also send"); none when negated or not a verb. */
function verbFrom(tokens: WinkToken[], from: number): number | undefined {
  let i = from;
  while (tokens[i] && (tokens[i]!.pos === "ADV" || tokens[i]!.normal === "please")) {
    if (NEGATIONS.has(tokens[i]!.normal)) return undefined;
    i++;
  }
  const verb = tokens[i];
  if (!verb || NEGATIONS.has(verb.normal) || verb.type !== "word") return undefined;
  // After a modal English has a bare verb; wink sometimes tags one as a noun ("I'll email …").
  return verb.pos === "VERB" || verb.pos === "NOUN" || verb.pos === "AUX" ? i : undefined;
}

/** "can you (please) review …", "please send …". */
function request(tokens: WinkToken[]): Shape | undefined {
  for (let i = 0; i < tokens.length - 2; i++) {
    if (REQUEST_MODALS.has(tokens[i]!.normal) && tokens[i + 1]!.normal === "you") {
      const verb = verbFrom(tokens, i + 2);
      return verb === undefined ? undefined : { verb };
    }
  }
  const start = leadingVocative(tokens) === undefined ? 0 : vocativeEnd(tokens);
  if (tokens[start]?.normal === "please") {
    const verb = verbFrom(tokens, start + 1);
    return verb === undefined ? undefined : { verb };
  }
  return undefined;
}

/** A run of proper names from `from`: its text and the index after it. */
function properNames(tokens: WinkToken[], from: number): { text: string; next: number } | undefined {
  let next = from;
  while (tokens[next]?.pos === "PROPN") next++;
  return next > from ? { text: textOfTokens(tokens.slice(from, next)), next } : undefined;
}

/** "Bob, can you …": the name addressed at the start of the sentence. */
function leadingVocative(tokens: WinkToken[]): string | undefined {
  const names = properNames(tokens, 0);
  return names && tokens[names.next]?.value === "," ? names.text : undefined;
}

function vocativeEnd(tokens: WinkToken[]): number {
  return (properNames(tokens, 0)?.next ?? 0) + 1;
}

/** "…, Bob?": the name addressed at the end of the task, and the last task token before its comma. */
function trailingVocative(
  tokens: WinkToken[],
  first: number,
  last: number,
): { name: string; before: number } | undefined {
  let i = last;
  while (i > first && tokens[i]!.pos === "PROPN") i--;
  if (i === last || tokens[i]?.value !== ",") return undefined;
  return { name: textOfTokens(tokens.slice(i + 1, last + 1)), before: i - 1 };
}

/** The due date in the task part of the sentence: a DATE/TIME entity (or EOD/COB), and its preposition. */
function dueOf(sentence: WinkSentence, from: number): { phrase: string; tokens: Set<number> } | undefined {
  const { tokens } = sentence;
  let first: number | undefined;
  let last: number | undefined;
  const entity = sentence.entities.find(
    (e) =>
      e.first >= from &&
      // "in two weeks" is a due date; "for two weeks" is not.
      (DUE_ENTITY_TYPES.has(e.type) || (e.type === "DURATION" && tokens[e.first - 1]?.normal === "in")),
  );
  if (entity) [first, last] = [entity.type === "DURATION" ? entity.first - 1 : entity.first, entity.last];
  else {
    const eod = tokens.findIndex((t, i) => i >= from && /^(?:eod|cob|eow|eom)$/.test(t.normal));
    if (eod >= 0) [first, last] = [eod, eod];
  }
  if (first === undefined || last === undefined) return undefined;
  const covered = new Set<number>();
  for (let i = first; i <= last; i++) covered.add(i);
  // The preposition before the date is part of the due date, not the task ("send it | by (the) Friday").
  let before = first - 1;
  if (tokens[before]?.normal === "the") before--;
  if (before > from && DUE_PREPOSITIONS.has(tokens[before]!.normal))
    for (let i = before; i < first; i++) covered.add(i);
  const phrase = duePhraseOf(textOfTokens(tokens.slice(first, last + 1)));
  return phrase ? { phrase, tokens: covered } : undefined;
}

/** Tokens back to text with their original spacing (they come from one sentence, in order). */
function textOfTokens(tokens: WinkToken[]): string {
  let text = "";
  tokens.forEach((token, i) => {
    const gap = i > 0 && token.start > tokens[i - 1]!.end ? " " : "";
    text += gap + token.value;
  });
  return text.trim();
}
