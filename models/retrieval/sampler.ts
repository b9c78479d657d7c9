/**
 * The sparse sampler (after PDF-WuKong): from fused unit scores, keep the few units that
 * matter, each with its neighbours for context, under a token budget. Input length therefore
 * stops growing with the document. Pure: scores and units in, selection and ledger out.
 */
import type { Box } from '../document/types.ts';
import { topK } from './bm25.ts';
import { mmrOrder, termOverlapSimilarity, type UnitSimilarity } from './diversity.ts';

export interface SamplerUnit {
  page: number;
  index: number;
  bbox: Box;
  text: string;
}

export interface SamplerOptions {
  /** Best-scoring units to take (each brings its neighbours). */
  hits: number;
  /** Neighbours on each side of a hit, in reading order (across a page break too). */
  neighbours: number;
  /** Upper bound of the selection's size in (estimated) tokens. */
  tokenBudget: number;
  /**
   * MMR trade-off among the hits (diversity.ts): 0 takes them by score alone; δ > 0 lets a
   * hit that repeats earlier ones give way to the next distinct unit. Off by default (README,
   * Evaluation, has the measurements).
   */
  diversity?: number;
}

export const DEFAULT_SAMPLER: SamplerOptions = { hits: 6, neighbours: 1, tokenBudget: 1500 };

export interface SelectedUnit {
  unit: number;
  /** The fused score of the unit, or of the hit it was brought in by (halved) for a neighbour. */
  score: number;
  hit: boolean;
}

export interface Selection {
  units: SelectedUnit[];
  tokens: number;
  /** Units with any positive score. */
  candidates: number;
}

/** About 1.3 tokens per word for English subword tokenizers. */
export function estimateTokens(text: string): number {
  let words = 0;
  for (const part of text.split(/\s+/)) if (part) words++;
  return Math.ceil(words * 1.3);
}

/**
 * `similarity` is used only with `options.diversity` > 0; without one, units are compared by
 * word overlap.
 */
export function selectUnits(units: readonly SamplerUnit[], scores: Float32Array, options: SamplerOptions = DEFAULT_SAMPLER, similarity?: UnitSimilarity): Selection {
  let candidates = 0;
  for (const s of scores) if (s > 0) candidates++;
  const chosen = new Map<number, SelectedUnit>();
  let tokens = 0;
  const take = (unit: number, score: number, hit: boolean): boolean => {
    const existing = chosen.get(unit);
    if (existing) {
      if (hit && !existing.hit) chosen.set(unit, { unit, score, hit });
      return true;
    }
    const cost = estimateTokens(units[unit].text);
    if (tokens + cost > options.tokenBudget && chosen.size > 0) return false;
    chosen.set(unit, { unit, score, hit });
    tokens += cost;
    return true;
  };
  let hits = 0;
  const ranked = topK(scores, options.hits * 4);
  const diversity = options.diversity ?? 0;
  const order = diversity > 0 ? mmrOrder(ranked, scores, similarity ?? termOverlapSimilarity(units), diversity) : ranked;
  for (const unit of order) {
    if (hits >= options.hits) break;
    if (!take(unit, scores[unit], true)) break;
    hits++;
    for (let d = 1; d <= options.neighbours; d++) {
      for (const j of [unit - d, unit + d]) {
        // A paragraph cut by a page break continues as the next page's first unit.
        if (j >= 0 && j < units.length && Math.abs(units[j].page - units[unit].page) <= 1) take(j, scores[unit] / 2, false);
      }
    }
  }
  // Reading order, so that neighbours read as the passage they are.
  const selected = [...chosen.values()].sort((a, b) => a.unit - b.unit);
  return { units: selected, tokens, candidates };
}
