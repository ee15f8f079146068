import { UserError } from '../model/errors';
import type { TagPorts } from './tag-ports';
import { parseQuality, parseTagScalar, parseTimestamp } from '../model/parse-tag-fields';
import type { TagValue } from '../model/tag-value';

export interface RawValueInput {
  tag: string;
  value: unknown;
  ts?: string | number;
  quality?: string | number;
}

/**
 * POST /api/values: publishes raw values to the input bus exactly as a value from the plant would
 * arrive (the embedded bus, or the Kafka input topic). A missing ts means now.
 */
export async function publishValues(services: Pick<TagPorts, 'bus'>, inputs: RawValueInput[]): Promise<number> {
  const now = Date.now();
  const values: TagValue[] = inputs.map((input, index) => {
    const value = parseTagScalar(input.value);
    if (!value.ok) throw new UserError('VALIDATION_FAILED', `[${index}].value: ${value.reason}`);
    const ts = parseTimestamp(input.ts, now, now);
    if (!ts.ok) throw new UserError('VALIDATION_FAILED', `[${index}].ts: ${ts.reason}`);
    const quality = parseQuality(input.quality);
    if (!quality.ok) throw new UserError('VALIDATION_FAILED', `[${index}].quality: ${quality.reason}`);
    return { tag: input.tag.trim(), value: value.value, ts: ts.value, quality: quality.value };
  });
  if (values.length > 0) await services.bus.publishRaw(values);
  return values.length;
}
