/**
 * Scripts form a graph: an edge runs from the script producing a tag to every script reading it.
 * Registration refuses cycles (naming the scripts in one), and evaluation runs scripts in rank order
 * so that a script always sees the outputs its inputs depend on from the same pass.
 */

export interface GraphScript {
  id: string;
  name: string;
  inputTags: readonly string[];
  outputTags: readonly string[];
}

/** The names along one cycle (first name repeated at the end), or null when there is none. */
export function findCycle(scripts: readonly GraphScript[]): string[] | null {
  const producers = new Map<string, GraphScript>();
  for (const script of scripts) for (const tag of script.outputTags) producers.set(tag, script);
  const upstream = (script: GraphScript) =>
    script.inputTags.map((tag) => producers.get(tag)).filter((producer): producer is GraphScript => producer !== undefined);

  const WHITE = 0, GREY = 1, BLACK = 2;
  const color = new Map<string, number>();
  const path: GraphScript[] = [];
  const visit = (script: GraphScript): string[] | null => {
    color.set(script.id, GREY);
    path.push(script);
    for (const next of upstream(script)) {
      const state = color.get(next.id) ?? WHITE;
      if (state === GREY) {
        const start = path.findIndex((entry) => entry.id === next.id);
        // path holds consumers before producers; show the flow of data: producer → consumer
        const cycle = path.slice(start).map((entry) => entry.name).reverse();
        return [...cycle, cycle[0]];
      }
      if (state === WHITE) {
        const found = visit(next);
        if (found) return found;
      }
    }
    path.pop();
    color.set(script.id, BLACK);
    return null;
  };
  for (const script of scripts) {
    if ((color.get(script.id) ?? WHITE) === WHITE) {
      const found = visit(script);
      if (found) return found;
    }
  }
  return null;
}

/**
 * Rank 0 for scripts that read no script's output, otherwise 1 + the highest rank they read from.
 * Assumes no cycle.
 */
export function computeRanks(scripts: readonly GraphScript[]): Map<string, number> {
  const producers = new Map<string, GraphScript>();
  for (const script of scripts) for (const tag of script.outputTags) producers.set(tag, script);
  const ranks = new Map<string, number>();
  const rankOf = (script: GraphScript, depth: number): number => {
    const known = ranks.get(script.id);
    if (known !== undefined) return known;
    if (depth > scripts.length) return 0; // a cycle slipped through; do not recurse forever
    let rank = 0;
    for (const tag of script.inputTags) {
      const producer = producers.get(tag);
      if (producer && producer.id !== script.id) rank = Math.max(rank, rankOf(producer, depth + 1) + 1);
    }
    ranks.set(script.id, rank);
    return rank;
  };
  for (const script of scripts) rankOf(script, 0);
  return ranks;
}
