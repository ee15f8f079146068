import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Monaco's own AMD build (node_modules/monaco-editor/min/vs), served by the app so the editor never
 * needs a CDN: the IDE works on an air-gapped plant network. Files are read from the installed
 * package, so the editor always matches the version in package-lock.json.
 */

export const dynamic = 'force-dynamic';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.ttf': 'font/ttf',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

// The app runs from the project directory (npm start); the path is built at run time so the bundler
// does not try to trace the whole package into the build.
const packageDir = () => path.resolve([process.cwd(), 'node_modules', 'monaco-editor', 'min', 'vs'].join(path.sep));

function notFound(): Response {
  return new Response('not found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

export async function GET(request: Request, context: { params: Promise<{ path: string[] }> }): Promise<Response> {
  const { path: parts } = await context.params;
  if (!parts?.length || parts.some((part) => part === '..' || part === '.' || part.includes('\0') || part.includes('\\'))) return notFound();
  const base = packageDir();
  const file = path.resolve(base, ...parts);
  if (!file.startsWith(base + path.sep)) return notFound();
  const type = CONTENT_TYPES[path.extname(file)];
  if (!type) return notFound();
  let info;
  try {
    info = await stat(file);
  } catch {
    return notFound();
  }
  if (!info.isFile()) return notFound();
  const etag = `"${info.size.toString(36)}-${Math.trunc(info.mtimeMs).toString(36)}"`;
  const headers = {
    'content-type': type,
    'cache-control': 'public, max-age=86400',
    etag,
    'x-content-type-options': 'nosniff',
  };
  if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers });
  return new Response(new Uint8Array(await readFile(file)), { status: 200, headers });
}
