import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

/**
 * A consumer-group assignor that gives every partition of the input topic to one member of the
 * group and nothing to the others, which wait as hot standbys and take over through an ordinary
 * rebalance when the active member leaves or dies.
 *
 * Why: a script may read tags that arrive on different partitions, and its state (initCode
 * variables, last published outputs, deadbands) lives in one engine. Splitting partitions between
 * workers would let two engines each see part of a script's inputs and publish from half a state.
 * Until scripts are partitioned by their inputs, one active worker per group is what stays correct;
 * more workers add availability, not throughput (docs/decisions/0005-workers-and-partitions.md).
 */
export const SINGLE_ACTIVE_ASSIGNER_NAME = 'ScriptServerSingleActive';

export const singleActiveAssigner: PartitionAssigner = ({ cluster }) => ({
  name: SINGLE_ACTIVE_ASSIGNER_NAME,
  version: 1,
  async assign({ members, topics }) {
    const active = [...members].map((member) => member.memberId).sort()[0];
    const assignment: Record<string, number[]> = {};
    for (const topic of topics) {
      assignment[topic] = cluster.findTopicPartitionMetadata(topic).map((partition) => partition.partitionId).sort((a, b) => a - b);
    }
    return members.map((member) => ({
      memberId: member.memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 1,
        assignment: member.memberId === active ? assignment : {},
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }) {
    return {
      name: SINGLE_ACTIVE_ASSIGNER_NAME,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    };
  },
});
