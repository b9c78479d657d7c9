/**
 * The ask box of a document: the question goes to the SSE answer route, the answer's text
 * streams in as `token` events, and the final `answer` event brings its citations (each opens
 * its page with the cited box highlighted) and the ledger, which a collapsible panel shows:
 * what retrieval ranked, what the sampler kept under its token budget, and what the reader did.
 */
import type { AnswerView, EvidenceEventView, TextEventView } from '../api/views.ts';
import type { AnswerLedger, ExtractiveReaderLedger, LlmReaderLedger } from '../lib/answer/types.ts';
import { fill, go, h } from './dom.ts';
import { postForEvents } from './http.ts';
import { pageHash } from './viewer.ts';

export class AskBox {
  readonly element: HTMLElement;
  private readonly input = h('textarea', { id: 'question', name: 'question', rows: 2, maxlength: 2000, required: true, placeholder: 'What does Figure 4 plot?' });
  private readonly submit = h('button', { type: 'submit', class: 'primary' }, 'Ask');
  private readonly note = h('p', { class: 'muted ask-note', 'aria-live': 'polite' });
  private readonly status = h('p', { class: 'ask-status', role: 'status' });
  private readonly answer = h('div', { class: 'answer', 'aria-live': 'polite', 'aria-busy': 'false' });
  private readonly ledger = h('details', { class: 'ledger' });
  private running: AbortController | null = null;

  constructor(private readonly docId: string) {
    const form = h(
      'form',
      { class: 'ask', 'aria-label': 'Ask this document' },
      h('label', { for: 'question' }, 'Ask a question about this document'),
      h('div', { class: 'ask-row' }, this.input, this.submit),
      this.note,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.ask(this.input.value.trim());
    });
    // Enter asks, Shift+Enter starts a new line, as in a chat box.
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    this.ledger.hidden = true;
    this.element = h('section', { class: 'ask-panel', 'aria-label': 'Questions' }, form, this.status, this.answer, this.ledger);
  }

  /** Asking waits for ingestion: the API answers 409 until the document is ready. */
  setReady(ready: boolean, status: string): void {
    this.submit.disabled = !ready;
    this.note.textContent = ready ? '' : `The document is ${status}; questions open when it is ready.`;
  }

  private async ask(question: string): Promise<void> {
    if (!question) return;
    this.running?.abort();
    const controller = new AbortController();
    this.running = controller;
    this.status.textContent = 'Retrieving evidence…';
    this.answer.setAttribute('aria-busy', 'true');
    const text = h('p', { class: 'answer-text streaming' });
    fill(this.answer, text);
    this.ledger.hidden = true;
    let evidence: EvidenceEventView | null = null;
    try {
      for await (const event of postForEvents(`/v1/documents/${this.docId}/answers`, { question }, controller.signal)) {
        if (event.event === 'evidence') {
          evidence = JSON.parse(event.data) as EvidenceEventView;
          this.status.textContent = `Reading ${evidence.sampler.selected.length} units from pages ${evidence.pages.join(', ')}…`;
          this.showLedger(evidence, null);
        } else if (event.event === 'token') {
          text.append((JSON.parse(event.data) as TextEventView).text);
        } else if (event.event === 'answer') {
          const answer = JSON.parse(event.data) as AnswerView;
          this.showAnswer(answer, text);
          this.showLedger(answer.ledger, answer);
        } else if (event.event === 'error') {
          const { error } = JSON.parse(event.data) as { error: { message: string } };
          throw new Error(error.message);
        }
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      this.status.textContent = '';
      this.answer.append(h('p', { class: 'error', role: 'alert' }, `No answer: ${(error as Error).message}`));
    } finally {
      if (this.running === controller) {
        this.running = null;
        text.classList.remove('streaming');
        this.answer.setAttribute('aria-busy', 'false');
      }
    }
  }

  private showAnswer(answer: AnswerView, text: HTMLElement): void {
    // The streamed text is what the reader wrote; the final answer is what it settled on (an LLM
    // answer that cited no given page is replaced by the extractive one).
    text.textContent = answer.answer;
    const reader = answer.ledger.reader;
    this.status.textContent = `Answered in ${answer.ledger.ms.total} ms by the ${reader.kind === 'llm' ? `LLM reader (${reader.model})` : 'extractive reader'}.`;
    if (!answer.found) {
      this.answer.classList.add('not-found');
      this.answer.append(h('p', { class: 'not-found-reason' }, h('strong', {}, 'Why: '), notFoundReason(answer)));
      return;
    }
    this.answer.classList.remove('not-found');
    if (answer.evidence && answer.evidence !== answer.answer) this.answer.append(h('blockquote', { class: 'evidence' }, answer.evidence));
    if (answer.citations.length === 0) return;
    this.answer.append(
      h('h4', {}, 'Citations'),
      h(
        'ol',
        { class: 'citations' },
        answer.citations.map((citation, i) =>
          h(
            'li',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'citation',
                'data-page': citation.page,
                'data-box': citation.bbox.join(','),
                'aria-label': `Citation ${i + 1}: page ${citation.page}. ${citation.quote.slice(0, 120)}`,
                onclick: () => go(pageHash(this.docId, citation.page, { box: citation.bbox, label: citation.quote })),
              },
              h('span', { class: 'citation-page' }, `p. ${citation.page}`),
              ' ',
              h('span', { class: 'citation-quote' }, citation.quote.length > 220 ? `${citation.quote.slice(0, 220)}…` : citation.quote),
            ),
          ),
        ),
      ),
    );
    if (answer.llm) this.answer.append(h('p', { class: 'muted' }, `The LLM's own answer was set aside: "${answer.llm.text}"`));
  }

  private showLedger(ledger: EvidenceEventView | AnswerLedger, answer: AnswerView | null): void {
    this.ledger.hidden = false;
    const { retrieval, sampler } = ledger;
    const open = this.ledger.open;
    const pageChip = (page: number) => h('button', { type: 'button', class: 'chip', onclick: () => go(pageHash(this.docId, page)) }, page);
    const top = Math.max(...sampler.selected.map((s) => s.score), 1e-9);
    fill(
      this.ledger,
      h('summary', {}, 'Ledger: how this answer was found'),
      h(
        'section',
        {},
        h('h4', {}, 'Retrieval'),
        h(
          'dl',
          {},
          term('scorers', `${retrieval.scorers.join(', ')} fused by ${retrieval.fusion}`),
          term('query terms', retrieval.queryTerms.join(' ') || '—'),
          retrieval.labels.length ? term('labels', retrieval.labels.join(', ')) : null,
          retrieval.concepts?.length ? term('concepts', retrieval.concepts.join(', ')) : null,
          retrieval.expansion?.length ? term('expansion', retrieval.expansion.map(([t, w]) => `${t} (${w})`).join(', ')) : null,
          term('units', `${retrieval.candidates} candidates of ${retrieval.unitsConsidered} units`),
          term('pages, best first', h('span', { class: 'chips' }, retrieval.pageRanking.map(pageChip))),
        ),
      ),
      h(
        'section',
        {},
        h('h4', {}, 'Sampler'),
        h('p', {}, `Kept ${sampler.selected.length} units, ${sampler.tokens} of a ${sampler.tokenBudget}-token budget.`),
        h(
          'table',
          { class: 'mini sampler' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'page'), h('th', { scope: 'col' }, 'unit'), h('th', { scope: 'col' }, 'score'), h('th', { scope: 'col' }, 'kept as'))),
          h(
            'tbody',
            {},
            sampler.selected.map((s) =>
              h(
                'tr',
                {},
                h('td', {}, pageChip(s.page)),
                h('td', {}, s.index),
                h('td', {}, h('span', { class: 'bar', style: `--w: ${Math.round((100 * s.score) / top)}%` }), ` ${s.score}`),
                h('td', {}, s.hit ? 'hit' : 'neighbour'),
              ),
            ),
          ),
        ),
      ),
      answer ? readerSection(answer) : h('section', {}, h('h4', {}, 'Reader'), h('p', { class: 'muted' }, 'Reading…')),
    );
    this.ledger.open = open;
  }
}

function term(name: string, value: Node | string): HTMLElement[] {
  return [h('dt', {}, name), h('dd', {}, value)];
}

function notFoundReason(answer: AnswerView): string {
  const reader = answer.ledger.reader;
  if (reader.kind === 'extractive') return reader.notFoundReason ?? reader.numeric?.reason ?? reader.llmRejected ?? 'The evidence was too weak to answer from.';
  return `The model said it could not answer (finish: ${reader.finishReason}).`;
}

function readerSection(answer: AnswerView): HTMLElement {
  const reader = answer.ledger.reader;
  const ms = answer.ledger.ms;
  const timing = term('milliseconds', `retrieve ${ms.retrieve} · sample ${ms.sample} · read ${ms.read} · total ${ms.total}`);
  if (reader.kind === 'llm') return h('section', {}, h('h4', {}, 'Reader: LLM'), h('dl', {}, llmTerms(reader), timing));
  return h('section', {}, h('h4', {}, 'Reader: extractive'), h('dl', {}, extractiveTerms(reader), timing), answer.llm ? h('dl', {}, h('dt', {}, 'LLM answer set aside'), h('dd', {}, answer.llm.text), llmTerms(answer.llm.ledger)) : null);
}

function extractiveTerms(reader: ExtractiveReaderLedger): HTMLElement[] {
  const numeric = reader.numeric;
  return [
    ...term('passages scored', String(reader.passagesScored)),
    ...term('coverage', String(reader.coverage)),
    ...(reader.notFoundReason ? term('not found because', reader.notFoundReason) : []),
    ...(reader.llmRejected ? term('LLM answer rejected', reader.llmRejected) : []),
    ...(numeric ? term('numeric reader', [numeric.status, numeric.formula, numeric.filled, numeric.reason].filter(Boolean).join(' · ')) : []),
    ...(numeric?.cells?.length ? term('cells used', numeric.cells.map((c) => `${c.row} (${c.column}) = ${c.text}, p. ${c.page}`).join('; ')) : []),
  ];
}

function llmTerms(reader: LlmReaderLedger): HTMLElement[] {
  const attended = reader.attendedPerToken;
  const mean = attended.length ? Math.round(attended.reduce((a, b) => a + b, 0) / attended.length) : 0;
  return [
    ...term('model', reader.model),
    ...term('attention', `${reader.policy}${reader.budget ? `, budget ${reader.budget}` : ''}; ${mean} KV positions attended per token on average`),
    ...term('tokens', `${reader.promptTokens} in the prompt, ${reader.generatedTokens} generated (${reader.finishReason})`),
    ...term('time', `prefill ${reader.prefillMs} ms, decode ${reader.decodeMs} ms`),
    ...(reader.rejectedPages.length ? term('pages cited but not given', reader.rejectedPages.join(', ')) : []),
  ];
}
