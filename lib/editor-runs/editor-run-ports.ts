import type { LabHost } from '../lab-host/lab-host';
import type { HistoryStore } from '../ports/history-store';
import type { ScriptStore } from '../ports/script-store';
import type { TagCatalog } from '../tags/tag-catalog';

/** What the editor runs (validate, calculate, debug, debug sessions, benchmark, plot) need. */
export interface EditorRunPorts {
  /** To run a saved script by its id. */
  store: ScriptStore;
  /** Latest value of each input, unless the request overrides it. */
  catalog: Pick<TagCatalog, 'get'>;
  lab: LabHost;
  /** The inputs' history, for the plot. */
  history: HistoryStore;
}
