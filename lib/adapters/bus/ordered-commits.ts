/**
 * The pipelined consumer's commits (KAFKA_PIPELINE_DEPTH > 1): a partition's next slice is handed to
 * the input handler while earlier ones are still being evaluated and published, but a slice's offset
 * is committed only after its own outputs **and those of every earlier slice of its partition** are
 * acknowledged — commits stay in order, so nothing is committed ahead of an unacknowledged value
 * (at-least-once, messages.md).
 *
 * When a slice's handling fails, neither it nor any later slice of the partition already in hand is
 * committed, and `onFailure` is told where the partition must be read again from (the bus seeks
 * there); the slices handed over after that start a new run of the lane.
 *
 * Bounded: `add` resolves only once the partition has fewer than `depth` slices in hand, so the
 * consumer fetches no further ahead than that.
 */
export interface OrderedCommitsOptions {
  /** Slices of one partition in hand at once (≥ 1). */
  depth: number;
  /** Commits `nextOffset` (the offset after the slice's last message) for the partition. */
  commit(partition: number, nextOffset: string): Promise<void>;
  /** A slice's handling failed: the partition must be read again from `firstOffset`. */
  onFailure(partition: number, firstOffset: string, error: unknown): void;
}

interface Lane {
  /** The last slice's settlement; the next slice's commit waits for it. Never rejects. */
  tail: Promise<void>;
  /** Settlements of the slices in hand, oldest first. */
  inHand: Array<Promise<void>>;
  /** Bumped by a failure: slices handed over before it are not committed. */
  run: number;
}

export class OrderedCommits {
  private readonly lanes = new Map<number, Lane>();

  constructor(private readonly options: OrderedCommitsOptions) {
    if (!Number.isInteger(options.depth) || options.depth < 1) throw new Error(`the pipeline depth must be a whole number ≥ 1, got ${options.depth}`);
  }

  /**
   * A slice whose handling has started (`handled` resolves once its outputs are acknowledged).
   * Resolves once the partition has room for another slice.
   */
  async add(partition: number, firstOffset: string, nextOffset: string, handled: Promise<void>): Promise<void> {
    const lane = this.lane(partition);
    const run = lane.run;
    const settled = lane.tail.then(async () => {
      try {
        await handled;
      } catch (error) {
        // The first failure of this run: the partition is read again from this slice.
        if (lane.run === run) {
          lane.run++;
          this.options.onFailure(partition, firstOffset, error);
        }
        return;
      }
      // An earlier slice of this run failed: this one is delivered again after the seek.
      if (lane.run !== run) return;
      await this.options.commit(partition, nextOffset);
    });
    // A failed commit is the commit function's to report; the next slice's commit covers it.
    const tail = settled.catch(() => undefined);
    lane.tail = tail;
    lane.inHand.push(tail);
    void tail.then(() => lane.inHand.shift());
    while (lane.inHand.length >= this.options.depth) await lane.inHand[0];
  }

  /** Slices of the partition in hand (handed over, not yet committed or given up). */
  inHand(partition: number): number {
    return this.lanes.get(partition)?.inHand.length ?? 0;
  }

  /** Resolves once every slice handed over so far is committed or given up. */
  async drain(): Promise<void> {
    await Promise.all([...this.lanes.values()].map((lane) => lane.tail));
  }

  private lane(partition: number): Lane {
    let lane = this.lanes.get(partition);
    if (!lane) {
      lane = { tail: Promise.resolve(), inHand: [], run: 0 };
      this.lanes.set(partition, lane);
    }
    return lane;
  }
}
