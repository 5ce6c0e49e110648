import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

/**
 * The viewer's pages may only load their own scripts and styles and talk to this server: model output
 * is untrusted text, and this keeps an injected tag inert even if some rendering path ever let one through.
 */
export const viewerContentSecurityPolicy =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

async function fileAt(path: string): Promise<Buffer | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return undefined;
    return await readFile(path);
  } catch {
    return undefined;
  }
}

/**
 * Serve a file of the built viewer, or `index.html` for any other path (client-side routing).
 * Paths that escape the directory get the index too, never a file outside it. Returns undefined when
 * the directory has no index.html (viewer not built).
 */
export async function serveViewerFile(viewerDir: string, urlPath: string): Promise<Response | undefined> {
  const root = resolve(viewerDir);
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    decoded = "/";
  }
  const candidate = resolve(join(root, normalize(decoded)));
  const inside = candidate === root || candidate.startsWith(`${root}${sep}`);
  if (inside && candidate !== root && !decoded.includes("\0")) {
    const body = await fileAt(candidate);
    if (body) {
      const type = contentTypes[extname(candidate).toLowerCase()] ?? "application/octet-stream";
      // Vite fingerprints asset names, so they can be cached for good; the index must not be.
      const cache = candidate.startsWith(`${root}${sep}assets${sep}`)
        ? "public, max-age=31536000, immutable"
        : "no-cache";
      return new Response(new Uint8Array(body), {
        headers: htmlHeaders(type, cache),
      });
    }
  }
  const index = await fileAt(join(root, "index.html"));
  if (!index) return undefined;
  return new Response(new Uint8Array(index), {
    headers: htmlHeaders(contentTypes[".html"] ?? "text/html", "no-cache"),
  });
}

function htmlHeaders(type: string, cache: string): Record<string, string> {
  return {
    "content-type": type,
    "cache-control": cache,
    "x-content-type-options": "nosniff",
    "content-security-policy": viewerContentSecurityPolicy,
    "referrer-policy": "no-referrer",
  };
}
