/**
 * Routes are declared once, with zod schemas for their parameters, query, body and answers: the same declaration
 * validates every request and writes the OpenAPI 3.1 document (`/openapi.json`), so the document cannot drift from
 * what the gateway accepts. A test checks that every route is documented and every documented route answers.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from "@asteasolutions/zod-to-openapi";
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from "express";
import { z, type ZodType, type ZodTypeAny } from "./zod";
import type { Principal, Requirement } from "./auth/principal";
import { Problem, ProblemTypes, problemTypeUri, PROBLEM_MEDIA_TYPE } from "./problems";

/** An RFC 9457 problem document, as documented. */
export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: problemTypeUri("invalid-request") }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
  })
  .passthrough()
  .openapi("Problem");

type Method = "get" | "post" | "put" | "delete";

/** The problem every route may answer, by status, as documented (the generic type of each status). */
const GENERIC_PROBLEM = {
  400: "invalid-request",
  401: "unauthenticated",
  403: "forbidden",
  429: "too-many-requests",
  500: "internal",
} as const satisfies Record<number, keyof typeof ProblemTypes>;

/** What a handler receives: the validated inputs and who is asking. */
export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal | undefined;
  req: Request;
  res: Response;
}

/** What a handler answers: a status and a JSON body, or nothing when it wrote the response itself. */
export type RouteAnswer = { status: number; body?: unknown; headers?: Record<string, string> } | undefined;

export interface RouteSpec<P extends ZodTypeAny, Q extends ZodTypeAny, B extends ZodTypeAny> {
  method: Method;
  /** Express-style path (`/v1/evidence/:recordId`). */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Who may call it (see {@link Requirement}). */
  auth: Requirement;
  params?: P;
  query?: Q;
  /**
   * A JSON body's schema; for other bodies (multipart, raw), `bodyDoc` documents it and the handler reads it. With
   * both, the route takes either: a body of `bodyDoc`'s content type reaches the handler as `body` undefined.
   */
  body?: B;
  bodyDoc?: { contentType: string; schema: ZodType; description: string };
  responses: Record<number, { description: string; schema?: ZodType; contentType?: string }>;
  handler: (input: RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<RouteAnswer>;
}

/** A registered route, as the OpenAPI test sees it. */
export interface RegisteredRoute {
  method: Method;
  path: string;
  openapiPath: string;
}

/**
 * Authentication the routes need: checks a requirement against who is asking (`res.locals.principal`, set by the
 * app's `identify` middleware; see auth/principal.ts).
 */
export interface RouteAuth {
  /** Throws a 401/403 Problem when the principal does not meet the requirement. */
  check(principal: Principal | undefined, requirement: Requirement): void;
}

/** Characters that make a path segment a pattern rather than literal text (path-to-regexp 8 syntax). */
const PATTERN = /[:*{}()[\]?+!\\]/;

/**
 * The routes, grouped by the first two segments of their path (`/v1/public`), so that a request walks only the
 * routes that could match it instead of every route declared before its own. Express matches paths without regard
 * to case and with or without a trailing slash; the group key is lower-cased and ignores an empty segment, and a
 * route whose first two segments are not literal text is put in every group (in declaration order), so each group
 * holds, in order, exactly the routes that could match a path with its key: which route answers is unchanged.
 */
class RouteTable {
  readonly #groups = new Map<string, Router>();
  /** Routes whose key is not literal: they may match any path. */
  readonly #anywhere: ((r: Router) => void)[] = [];
  readonly #fallback = Router();

  /** The key of a path: its first two segments, lower-cased; undefined when either is a pattern. */
  static keyOf(path: string): string | undefined {
    const [, first = "", second = ""] = path.split("/", 3);
    if (PATTERN.test(first) || PATTERN.test(second)) return undefined;
    return (second === "" ? `/${first}` : `/${first}/${second}`).toLowerCase();
  }

  add(path: string, mount: (r: Router) => void): void {
    const key = RouteTable.keyOf(path);
    if (key === undefined) {
      this.#anywhere.push(mount);
      for (const group of this.#groups.values()) mount(group);
      mount(this.#fallback);
      return;
    }
    let group = this.#groups.get(key);
    if (group === undefined) {
      group = Router();
      for (const m of this.#anywhere) m(group);
      this.#groups.set(key, group);
    }
    mount(group);
  }

  readonly dispatch: RequestHandler = (req, res, next) => {
    const path = req.path;
    const slash = path.indexOf("/", 1);
    const end = slash === -1 ? path.length : path.indexOf("/", slash + 1);
    // The key of the request's path, as keyOf computes a route's (a request's path has no pattern characters to
    // speak of: they are matched literally, so a literal lookup is what the routes would do).
    let key = (end === -1 ? path : path.slice(0, end)).toLowerCase();
    if (key.endsWith("/") && key.length > 1) key = key.slice(0, -1);
    (this.#groups.get(key) ?? this.#fallback)(req, res, next);
  };
}

export class Api {
  readonly registry = new OpenAPIRegistry();
  readonly #table = new RouteTable();
  /** Every route, as one middleware (see {@link RouteTable}): the app mounts it after its own middleware. */
  readonly router: RequestHandler = this.#table.dispatch;
  readonly routes: RegisteredRoute[] = [];

  constructor(private readonly auth: RouteAuth) {
    this.registry.register("Problem", ProblemSchema);
    this.registry.registerComponent("securitySchemes", "bearer", {
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
      description: "A session token from POST /v1/auth/siwe (Sign-In with Ethereum).",
    });
  }

  route<P extends ZodTypeAny = ZodTypeAny, Q extends ZodTypeAny = ZodTypeAny, B extends ZodTypeAny = ZodTypeAny>(
    spec: RouteSpec<P, Q, B>,
  ): void {
    const openapiPath = spec.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    this.routes.push({ method: spec.method, path: spec.path, openapiPath });
    const responses: RouteConfig["responses"] = {};
    for (const [status, r] of Object.entries(spec.responses)) {
      responses[status] = {
        description: r.description,
        ...(r.schema === undefined ? {} : { content: { [r.contentType ?? "application/json"]: { schema: r.schema } } }),
      };
    }
    const problemStatuses = new Set<number>([400, 429, 500]);
    if (spec.auth !== "public") problemStatuses.add(401).add(403);
    for (const s of problemStatuses) {
      responses[String(s)] ??= {
        description: ProblemTypes[GENERIC_PROBLEM[s as keyof typeof GENERIC_PROBLEM]].title,
        content: { [PROBLEM_MEDIA_TYPE]: { schema: ProblemSchema } },
      };
    }
    this.registry.registerPath({
      method: spec.method,
      path: openapiPath,
      summary: spec.summary,
      ...(spec.description === undefined ? {} : { description: spec.description }),
      tags: spec.tags,
      ...(spec.auth === "public" ? {} : { security: [{ bearer: [] }] }),
      request: {
        ...(spec.params === undefined ? {} : { params: spec.params as never }),
        ...(spec.query === undefined ? {} : { query: spec.query as never }),
        ...(spec.body !== undefined
          ? {
              body: {
                required: true,
                ...(spec.bodyDoc === undefined ? {} : { description: spec.bodyDoc.description }),
                content: {
                  "application/json": { schema: spec.body },
                  ...(spec.bodyDoc === undefined
                    ? {}
                    : { [spec.bodyDoc.contentType]: { schema: spec.bodyDoc.schema } }),
                },
              },
            }
          : spec.bodyDoc !== undefined
            ? {
                body: {
                  required: true,
                  description: spec.bodyDoc.description,
                  content: { [spec.bodyDoc.contentType]: { schema: spec.bodyDoc.schema } },
                },
              }
            : {}),
      },
      responses,
    });
    const handler = async (req: Request, res: Response, next: NextFunction) => {
      try {
        const principal = res.locals.principal as Principal | undefined;
        this.auth.check(principal, spec.auth);
        const params = spec.params === undefined ? {} : spec.params.parse(req.params);
        const query = spec.query === undefined ? {} : spec.query.parse(req.query);
        const other =
          spec.body !== undefined && spec.bodyDoc !== undefined && typeof req.is(spec.bodyDoc.contentType) === "string";
        if (spec.body !== undefined && !other && !req.is("application/json")) {
          throw new Problem(
            "unsupported-media-type",
            `send the body as application/json${spec.bodyDoc === undefined ? "" : ` or ${spec.bodyDoc.contentType}`}`,
          );
        }
        const body = spec.body === undefined || other ? undefined : spec.body.parse(req.body);
        const answer = await spec.handler({ params, query, body, principal, req, res } as never);
        if (answer === undefined || res.headersSent) return;
        for (const [k, v] of Object.entries(answer.headers ?? {})) res.setHeader(k, v);
        if (answer.body === undefined) res.status(answer.status).end();
        else res.status(answer.status).json(answer.body);
      } catch (err) {
        next(err);
      }
    };
    this.#table.add(spec.path, (r) => r[spec.method](spec.path, handler));
  }

  /** The OpenAPI 3.1 document of every route declared so far. */
  document(info: { title: string; version: string; serverUrl: string }): object {
    return new OpenApiGeneratorV31(this.registry.definitions).generateDocument({
      openapi: "3.1.0",
      info: {
        title: info.title,
        version: info.version,
        description:
          "The crossproof gateway: partner agencies and courts verify evidence and get signed reports; members submit " +
          "EIP-712 signed requests. Errors are RFC 9457 problem documents.",
      },
      servers: [{ url: info.serverUrl }],
    });
  }
}
