import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../lib/http/api-operations';

/**
 * Every operation of the table is reachable: Next.js serves /api from the files under app/api, so an
 * operation without a route file forwarding its method to it would answer the catch-all's 404 (found
 * once for GET /api/workers by the OpenAPI fuzzer). Paths under /api/tags/{tag} go through the tag
 * router (its own catch-all), which dispatches by method and suffix.
 */

const API_DIR = path.resolve(__dirname);

/** The route file of an OpenAPI path: {id} → [id]. */
function routeFile(apiPath: string): string {
  const segments = apiPath
    .replace(/^\/api\/?/, '')
    .split('/')
    .filter(Boolean)
    .map((segment) => segment.replace(/^\{(\w+)\}$/, '[$1]'));
  return path.join(API_DIR, ...segments, 'route.ts');
}

describe('the API routes', () => {
  it('forward every operation of the table, by its method, to its operation id', () => {
    const missing: string[] = [];
    for (const operation of OPERATIONS) {
      if (operation.path.startsWith('/api/tags/{tag}')) {
        const tagRouter = readFileSync(path.join(API_DIR, 'tags', '[...path]', 'route.ts'), 'utf8');
        if (!new RegExp(`answer as ${operation.method}\\b`).test(tagRouter)) missing.push(`${operation.method} ${operation.path} (tag router)`);
        continue;
      }
      const file = routeFile(operation.path);
      if (!existsSync(file)) {
        missing.push(`${operation.method} ${operation.path}: no ${path.relative(process.cwd(), file)}`);
        continue;
      }
      const source = readFileSync(file, 'utf8');
      const forwards = new RegExp(`export const ${operation.method} = forward\\('${operation.id}'\\)`).test(source);
      const special = new RegExp(`export (const|async function) ${operation.method}\\b`).test(source);
      if (!forwards && !special) missing.push(`${operation.method} ${operation.path}: ${path.relative(process.cwd(), file)} does not forward ${operation.method} to '${operation.id}'`);
    }
    expect(missing).toEqual([]);
  });
});
