/**
 * What a question asks for, read from its wording alone (no model): the kind of answer
 * (a number, a name, a code-like token such as a function, option or path), its focus noun
 * phrase ("which directory" → directory), and the figures or tables it names. The reader uses
 * this to prefer evidence that can hold such an answer and to cut the answer span.
 */
import { referencedLabels } from '../document/labels.ts';
import { STOPWORDS, stem, words } from '../text/tokenize.ts';

export type AnswerType = 'number' | 'entity' | 'code' | 'value' | 'any';

export interface QuestionAnalysis {
  type: AnswerType;
  /** Stemmed content words of the noun phrase after which/what ("which directory" → directori). */
  focus: string[];
  /** Figure/table labels the question names, normalised ("table 4"). */
  labels: string[];
  /**
   * Where the question says to look, not what it asks: "According to the preface of the
   * manual, …", "…, according to the paper?", "In Table 3, …". Its words should match the
   * evidence's surroundings (section, caption), not the answering sentence itself.
   */
  locator: string | null;
}

const LEADING_LOCATOR = /^\s*((?:according to|as (?:stated|described|shown) in|in|on|from|per|within)\s[^,?]{3,80}),/i;
const TRAILING_LOCATOR = /,?\s*((?:according to|as (?:stated|described|shown) in)\s[^,?]{3,80})\s*\?*\s*$/i;

/** The locator phrase of a question, if it has one (see QuestionAnalysis.locator). */
export function questionLocator(question: string): string | null {
  return LEADING_LOCATOR.exec(question)?.[1] ?? TRAILING_LOCATOR.exec(question)?.[1] ?? null;
}

/** The question without its locator phrase: the words the answering sentence should share. */
export function questionCore(question: string): string {
  const locator = questionLocator(question);
  return locator ? question.replace(locator, ' ').replace(/^\s*,\s*/, '').replace(/\s*,\s*(\?*)\s*$/, '$1') : question;
}

const NUMBER_QUESTION =
  /\b(how (many|much|long|large|big|often|far|old|fast|tall|high|wide|small)|by how much|what (percentage|percent|number|amount|fraction|proportion|ratio|count|size|year|value)|in what year)\b/;

const ENTITY_QUESTION =
  /^\s*(who|whom)\b|\b(after|by|to|from) whom\b|\b(which|what) (foundation|company|organi[sz]ation|institution|university|person|people|author|authors|agency|country|city|journal|conference|publisher|team|lab|laboratory)\b/;

/** Nouns whose instances are written as code or paths: the answer is a token like `max_recursion_depth` or `-dpdf`. */
const CODE_NOUNS = new Set(
  [
    'function',
    'command',
    'option',
    'keyword',
    'variable',
    'flag',
    'parameter',
    'argument',
    'setting',
    'directory',
    'folder',
    'path',
    'file',
    'extension',
    'method',
    'class',
    'module',
    'macro',
    'operator',
    'terminal',
    'environment',
  ].map(stem),
);

/** "What is the default …", "what … set to": a setting's value, often a number or a code token. */
const VALUE_QUESTION = /\b(default|set to|equal to|value of)\b/;

const DETERMINERS = new Set('the a an this that these those its their his her our my your'.split(' '));

/**
 * Stems of the parts of a figure or table that its picture or grid shows and its prose seldom
 * names ("the y-axis label of Figure 2", "the panel titles", "the legend"): a document holding
 * the figure answers a question about them from the figure's own text, without ever printing
 * the word.
 */
export const FIGURE_PARTS: ReadonlySet<string> = new Set(['axis', 'axes', 'label', 'labels', 'title', 'titles', 'legend', 'panel', 'panels', 'subplot', 'caption', 'colour', 'color', 'line', 'curve', 'marker', 'bar', 'tick', 'scale', 'symbol', 'entry'].map(stem));

const AUXILIARIES = new Set(
  'is are was were be been does do did has have had can could will would should may might must shall'.split(' '),
);

/**
 * Stemmed content words of the noun phrase right after "which"/"what" (at most three words,
 * up to the next auxiliary verb): "Which NVIDIA CUDA versions does …" → nvidia, cuda, version;
 * "What was the dollar amount of …" → dollar, amount. With `howMany`, also "How many features
 * …" → featur (the thing counted; not a sign of unanswerability when absent, since the
 * document may count it in other words).
 */
export function questionFocus(question: string, { howMany: countQuestions = false } = {}): string[] {
  const tokens = words(question);
  const focus: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const howMany = countQuestions && tokens[i] === 'how' && (tokens[i + 1] === 'many' || tokens[i + 1] === 'much');
    if (tokens[i] !== 'which' && tokens[i] !== 'what' && !howMany) continue;
    // "What was the dollar amount": skip the auxiliary and articles before the phrase.
    let j = howMany ? i + 2 : i + 1;
    while (j < tokens.length && (AUXILIARIES.has(tokens[j]) || tokens[j] === 'the' || tokens[j] === 'a' || tokens[j] === 'an')) j++;
    for (const end = j + 3; j < tokens.length && j < end; j++) {
      const word = tokens[j];
      if (AUXILIARIES.has(word) || word === 'of') break;
      // A word followed by a determiner is the verb ("which foundation gave the grant").
      if (DETERMINERS.has(tokens[j + 1] ?? '')) break;
      if (!STOPWORDS.has(word)) focus.push(stem(word));
    }
    break;
  }
  return focus;
}

export function analyseQuestion(question: string): QuestionAnalysis {
  const q = question.toLowerCase();
  const focus = questionFocus(question, { howMany: true });
  let type: AnswerType = 'any';
  if (NUMBER_QUESTION.test(q)) type = 'number';
  else if (ENTITY_QUESTION.test(q)) type = 'entity';
  else if (focus.some((term) => CODE_NOUNS.has(term))) type = 'code';
  else if (VALUE_QUESTION.test(q)) type = 'value';
  return { type, focus, labels: referencedLabels(question), locator: questionLocator(question) };
}

/** A token written like code: identifiers with _ or (), paths, options (-x), dotted names, camelCase. */
export function looksLikeCode(token: string): boolean {
  return /[_/\\]|\w\(|^--?[a-z]|[a-z][A-Z]|^[a-z]+\.[a-z]+$|^<.+>$/.test(token);
}

export function hasNumber(text: string): boolean {
  return /\p{N}/u.test(text);
}

const NUMBER_WORDS = new Set('one two three four five six seven eight nine ten eleven twelve twenty thirty hundred thousand million billion half dozen'.split(' '));

/** A quantity on its own ("22", "1e-6", "62%", "48.29", "3,", "nine"), not a name with a digit in it ("2D"). */
export function isQuantity(token: string): boolean {
  const bare = token.replace(/^[(\[~≈<>]+|[)\].,;:]+$/g, '');
  return /^[-+−±]?\p{N}[\p{N}.,/:]*(?:e[-+−]?\p{N}+)?%?$/u.test(bare) || /^\p{N}+(?:\.\p{N}+)?±/u.test(bare) || NUMBER_WORDS.has(bare.toLowerCase());
}

/** A capitalised word that is not the first word of the sentence. */
export function hasInnerCapital(text: string): boolean {
  return /\s\p{Lu}/u.test(text.trim());
}

/** Whether a sentence could hold an answer of this type at all. */
const LABEL_NUMBER = /\b(figures?|fig|tables?|tab|listing|section|chapter|appendix|equation|eq)\.?\s*\d+(?:[.-]\d+)*/gi;

export function fitsAnswerType(sentence: string, type: AnswerType): boolean {
  // "Figure 15.2" and "Section 3" hold numbers but are not quantities.
  const text = sentence.replace(LABEL_NUMBER, ' ');
  switch (type) {
    case 'number':
      return text.split(/\s+/).some(isQuantity);
    case 'entity':
      return hasInnerCapital(text);
    case 'code':
      return text.split(/\s+/).some(looksLikeCode);
    case 'value':
      return hasNumber(text) || text.split(/\s+/).some(looksLikeCode);
    default:
      return true;
  }
}
