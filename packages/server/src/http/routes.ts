/**
 * HTTP routes a {@link Server} answers on the HTTP server it owns, beside its built-in endpoints
 * (`/health`, `/rooms`, `/monitor`, `/metrics`): `server.route('GET', '/arena/*', handler)`.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidOptionError } from '@netplay/transport';

/** HTTP methods a route can answer. `GET` routes answer `HEAD` too. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** What a route handler is given beside the request and response. */
export interface HttpRouteContext {
  /** The parsed request URL (host is a placeholder: use the `Host` header when you need it). */
  readonly url: URL;
  /**
   * For a prefix route (`'/arena/*'`): the path after the prefix, still percent-encoded, without a
   * leading slash (`'js/app.js'` for `/arena/js/app.js`, `''` for `/arena/`). For an exact route: `''`.
   */
  readonly subpath: string;
}

/**
 * Answers one request. It must end the response (or hand it to something that will); a thrown
 * error or rejected promise answers 500 when nothing was sent yet.
 */
export type HttpHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  context: HttpRouteContext,
) => void | Promise<void>;

const METHODS: readonly HttpMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

interface RouteEntry {
  readonly method: HttpMethod;
  /** The exact path, or the prefix (ending with `/`) of a `/*` route. */
  readonly path: string;
  readonly prefix: boolean;
  readonly handler: HttpHandler;
}

/** A match of {@link HttpRoutes.match}. */
export interface RouteMatch {
  readonly handler: HttpHandler;
  readonly subpath: string;
}

/** A small route table: exact paths and `/prefix/*` paths, longest prefix first. */
export class HttpRoutes {
  readonly #routes: RouteEntry[] = [];

  /**
   * Add a route. `path` is exact (`'/arena'`) or a prefix ending in `/*` (`'/arena/*'` matches
   * `/arena/` and everything under it; `'/*'` matches every path).
   * @throws {@link InvalidOptionError} for an unknown method, a path not starting with `/`, or a
   * route already registered.
   */
  add(method: HttpMethod, path: string, handler: HttpHandler): void {
    if (!METHODS.includes(method)) throw new InvalidOptionError('method', `must be one of ${METHODS.join(', ')}`);
    if (typeof path !== 'string' || !path.startsWith('/') || path.length > 1024) {
      throw new InvalidOptionError('path', 'must start with / (at most 1024 characters)');
    }
    if (typeof handler !== 'function') throw new InvalidOptionError('handler', 'must be a function');
    const prefix = path.endsWith('/*');
    const key = prefix ? path.slice(0, -1) : path;
    if (this.#routes.some((r) => r.method === method && r.path === key && r.prefix === prefix)) {
      throw new InvalidOptionError('path', `${method} ${path} is already routed`);
    }
    this.#routes.push({ method, path: key, prefix, handler });
    // Exact routes first, then the longest prefix.
    this.#routes.sort((a, b) => Number(a.prefix) - Number(b.prefix) || b.path.length - a.path.length);
  }

  /** The route for `method` and `pathname` (`HEAD` falls back to `GET`), or `undefined`. */
  match(method: string, pathname: string): RouteMatch | undefined {
    const found = this.#find(method, pathname) ?? (method === 'HEAD' ? this.#find('GET', pathname) : undefined);
    return found;
  }

  /** `true` when some route (any method) serves `pathname`: the server then answers 405, not 404. */
  hasPath(pathname: string): boolean {
    return this.#routes.some((r) => matches(r, pathname));
  }

  #find(method: string, pathname: string): RouteMatch | undefined {
    for (const route of this.#routes) {
      if (route.method !== method || !matches(route, pathname)) continue;
      return { handler: route.handler, subpath: route.prefix ? pathname.slice(route.path.length) : '' };
    }
    return undefined;
  }
}

function matches(route: RouteEntry, pathname: string): boolean {
  return route.prefix ? pathname.startsWith(route.path) : pathname === route.path;
}
