/** "Did you mean …?" for misspelt keys and values. Pure. */

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), bounded for speed. */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prevPrev: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, (prevPrev[j - 2] ?? 0) + 1);
      row.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > max) return max + 1;
    prevPrev = prev;
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** `outputSchema`, `Output-Schema` and `output_schema` all fold to `outputschema`. */
const fold = (s: string): string => s.toLowerCase().replace(/[-_\s]/g, '');

/**
 * The closest candidate to `input`, if it is close enough to be a likely typo: the same word in another case or
 * separator style, or within about a third of its length in edits.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const folded = fold(input);
  const sameWord = candidates.find((c) => fold(c) === folded);
  if (sameWord !== undefined) return sameWord;
  const budget = Math.max(1, Math.floor(input.length / 3));
  let best: string | undefined;
  let bestDistance = budget + 1;
  for (const candidate of candidates) {
    const d = editDistance(folded, fold(candidate), budget);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

export const didYouMean = (input: string, candidates: readonly string[]): string | undefined => {
  const match = closest(input, candidates);
  return match === undefined ? undefined : `did you mean ${JSON.stringify(match)}?`;
};
