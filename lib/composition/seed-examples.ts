import { messageOf } from '../model/errors';
import { EXAMPLE_SCRIPTS } from '../scripts/example-scripts';
import type { AppServices } from './services';

/**
 * On the first start with an empty database, saves and registers the example scripts so the IDE
 * is not empty and outputs appear at once.
 */
export async function seedExamples(services: Pick<AppServices, 'store' | 'log'>): Promise<void> {
  const existing = await services.store.list();
  if (existing.length > 0) return;
  const changes = await services.store.changesSince(0);
  if (changes.length > 0) return; // scripts existed once (all deleted since): do not bring examples back
  for (const draft of EXAMPLE_SCRIPTS) {
    try {
      const saved = await services.store.create(draft);
      await services.store.setState(saved.id, 'registered', null);
    } catch (error) {
      services.log.warn(`example script ${draft.name} was not created: ${messageOf(error)}`);
    }
  }
  services.log.info(`created ${EXAMPLE_SCRIPTS.length} example scripts`);
}
