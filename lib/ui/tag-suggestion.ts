import { distance } from 'fastest-levenshtein';

/**
 * "Did you mean FT-101.PV?" for an input tag that does not exist: the existing tag closest by edit
 * distance (case ignored), when it is close enough to be a slip rather than another tag.
 */
export function closestTag(typed: string, existing: Iterable<string>): string | null {
  const wanted = typed.trim();
  if (!wanted) return null;
  const lower = wanted.toLowerCase();
  let best: string | null = null;
  let bestScore = Infinity;
  for (const tag of existing) {
    if (tag === wanted) return null;
    const candidate = tag.toLowerCase();
    // A different case, or the tag's item left off ("FT-101" for "FT-101.PV"), is the likeliest slip.
    const score = candidate === lower ? 0.5 : candidate.startsWith(`${lower}.`) ? 1 : distance(lower, candidate);
    if (score < bestScore || (score === bestScore && best !== null && tag < best)) {
      best = tag;
      bestScore = score;
    }
  }
  // Up to a third of the name may differ (at least 2 characters), never more than 4.
  const allowed = Math.min(4, Math.max(2, Math.floor(wanted.length / 3)));
  return best !== null && bestScore <= allowed ? best : null;
}

