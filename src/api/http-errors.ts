/**
 * One error shape for every API answer: {error, details?}, with the field a validation error is about.
 */
import type { FastifyError, FastifyInstance } from 'fastify';

export interface FieldProblem {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: FieldProblem[],
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }
}

interface AjvError {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** "body.match.contains" style names for Ajv errors, including the unknown or missing property. */
export function describeValidation(context: string, errors: AjvError[]): FieldProblem[] {
  const seen = new Set<string>();
  const out: FieldProblem[] = [];
  for (const e of errors) {
    let field = (context + e.instancePath.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.')).replace(/^body\.?/, '') || context;
    let message = e.message ?? e.keyword;
    if (e.keyword === 'additionalProperties') {
      field = field && field !== context ? `${field}.${String(e.params.additionalProperty)}` : String(e.params.additionalProperty);
      message = `unknown field "${String(e.params.additionalProperty)}"`;
    } else if (e.keyword === 'required') {
      field = field && field !== context ? `${field}.${String(e.params.missingProperty)}` : String(e.params.missingProperty);
      message = 'is required';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    }
    const key = `${field}:${message}`;
    if (seen.has(key) || e.keyword === 'anyOf' || e.keyword === 'if') continue;
    seen.add(key);
    out.push({ field, message });
  }
  return out;
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError & { validation?: AjvError[]; validationContext?: string }, req, reply) => {
    if (err instanceof ApiError) {
      return reply.code(err.status).send({ error: err.message, ...(err.details ? { details: err.details } : {}), ...err.extra });
    }
    if (err.validation) {
      const details = describeValidation(err.validationContext ?? 'body', err.validation);
      const summary = details.map((d) => `${d.field}: ${d.message}`).join('; ');
      return reply.code(400).send({ error: `invalid ${err.validationContext ?? 'request'}: ${summary}`, details });
    }
    if (err.statusCode && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: err.message });
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal error; see the server log' });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` }));
}
