import { distance } from 'fastest-levenshtein';

/** The closest candidate to a misspelt name, or null when nothing is close enough to help. */
export function didYouMean(name: string, candidates: Iterable<string>): string | null {
  const lower = name.toLowerCase();
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === name) continue;
    // A difference of case only is the likeliest slip of all.
    const score = candidate.toLowerCase() === lower ? 0.5 : distance(lower, candidate.toLowerCase());
    if (score < bestDistance || (score === bestDistance && best !== null && candidate < best)) {
      best = candidate;
      bestDistance = score;
    }
  }
  // Short names tolerate one slip, longer ones two (a swap of two letters counts as two), long ones three.
  const allowed = name.length <= 3 ? 1 : name.length <= 8 ? 2 : 3;
  return best !== null && bestDistance <= allowed ? best : null;
}
