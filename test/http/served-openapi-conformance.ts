import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** One answer a listener sent on the wire, as the client received it. */
export interface RecordedResponse {
  method: string;
  path: string;
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

/**
 * Records every response `server` sends, from the bytes written to the
 * socket, so what is checked is what clients got — not what a handler meant.
 */
export function recordResponses(server: Server): RecordedResponse[] {
  const recorded: RecordedResponse[] = [];
  // Prepended, so the recorder is in place before Fastify can answer.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    const keep = (chunk: unknown) => {
      if (typeof chunk === 'string') chunks.push(Buffer.from(chunk));
      else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
    };
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      keep(chunk);
      return write(chunk, ...rest);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (typeof chunk !== 'function') keep(chunk);
      recorded.push({
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0] ?? '/',
        status: res.statusCode,
        contentType: res.getHeader('content-type')?.toString(),
        body: Buffer.concat(chunks),
      });
      return end(chunk, ...rest);
    }) as typeof res.end;
  });
  return recorded;
}

const DOCUMENT_ID = 'https://idbridge.test/served-openapi.json';

export type OpenApiDocument = {
  openapi: string;
  paths: Record<string, Record<string, { responses?: Record<string, ResponseObject> }>>;
};
type ResponseObject = { content?: Record<string, { schema?: unknown }> };

/** Validates a document against the OpenAPI 3.x meta-schemas; returns the errors. */
export async function openApiDocumentErrors(document: unknown): Promise<unknown[]> {
  const validator = new Validator();
  const result = await validator.validate(document as Parameters<Validator['validate']>[0]);
  return result.valid ? [] : ([] as unknown[]).concat(result.errors ?? ['invalid']);
}

/**
 * Checks recorded responses against the response schemas of `document`
 * (OpenAPI 3.1: JSON Schema 2020-12). Returns one line per response that the
 * document does not describe: unknown route, undocumented status, a body
 * where none is documented, or a body its schema refuses.
 */
export function responseConformance(
  document: OpenApiDocument,
  responses: RecordedResponse[],
): { problems: string[]; seen: Set<string> } {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ ...document, $id: DOCUMENT_ID } as object);
  const templates = Object.keys(document.paths).map((template) => ({
    template,
    params: (template.match(/\{/g) ?? []).length,
    regex: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const r of responses) {
    const method = r.method.toLowerCase();
    const route = templates
      .filter((t) => t.regex.test(r.path) && document.paths[t.template]?.[method])
      .sort((a, b) => a.params - b.params)[0];
    const label = `${r.method} ${route?.template ?? r.path} ${r.status}`;
    if (!route) {
      problems.push(`${label}: no such operation in the served document`);
      continue;
    }
    seen.add(label);
    const documented = document.paths[route.template]?.[method]?.responses?.[String(r.status)];
    const text = r.body.toString('utf8');
    if (!documented) {
      problems.push(`${label}: status not documented (body ${text.slice(0, 200)})`);
      continue;
    }
    const media = documented.content?.['application/json'];
    if (!media) {
      if (r.body.length > 0) problems.push(`${label}: body where none is documented: ${text}`);
      continue;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      problems.push(`${label}: body is not JSON: ${text.slice(0, 200)}`);
      continue;
    }
    const pointer = [
      'paths',
      route.template,
      method,
      'responses',
      String(r.status),
      'content',
      'application/json',
      'schema',
    ]
      .map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1')))
      .join('/');
    const validate = ajv.getSchema(`${DOCUMENT_ID}#/${pointer}`);
    if (!validate) {
      problems.push(`${label}: schema not found at #/${pointer}`);
      continue;
    }
    if (!validate(body)) {
      problems.push(`${label}: ${ajv.errorsText(validate.errors)} in ${text.slice(0, 300)}`);
      continue;
    }
    // The protocol gives each success status its own body (200 decided, 202
    // pending): a schema that also admits this body for another status lies.
    if (r.status < 300) {
      for (const [other, response] of Object.entries(
        document.paths[route.template]?.[method]?.responses ?? {},
      )) {
        if (other === String(r.status) || !/^2/.test(other)) continue;
        if (!response.content?.['application/json']) continue;
        const otherPointer = pointer.replace(`/responses/${r.status}/`, `/responses/${other}/`);
        const fitsOther = ajv.getSchema(`${DOCUMENT_ID}#/${otherPointer}`);
        if (fitsOther?.(body))
          problems.push(
            `${label}: the body fits the schema of ${other} too: ${text.slice(0, 200)}`,
          );
      }
    }
  }
  return { problems, seen };
}

/** Does the served schema of (method, path template, status) accept `body`? */
export function servedSchemaAccepts(
  document: OpenApiDocument,
  at: { method: string; template: string; status: number },
  body: unknown,
): boolean {
  const ajv = new Ajv2020({ strict: false });
  addFormats.default(ajv);
  ajv.addSchema({ ...document, $id: DOCUMENT_ID } as object);
  const pointer = ['paths', at.template, at.method.toLowerCase(), 'responses', String(at.status)]
    .concat(['content', 'application/json', 'schema'])
    .map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1')))
    .join('/');
  const validate = ajv.getSchema(`${DOCUMENT_ID}#/${pointer}`);
  if (!validate) throw new Error(`no schema for ${at.method} ${at.template} ${at.status}`);
  return validate(body) as boolean;
}
