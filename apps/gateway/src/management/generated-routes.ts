import { Body, Delete, Get, Patch, Put, Query } from '@nestjs/common';

/** The HTTP methods a generated route can answer. */
export type RouteVerb = 'GET' | 'PUT' | 'PATCH' | 'DELETE';

const DECORATORS: Record<RouteVerb, (path: string) => MethodDecorator> = {
  GET: Get,
  PUT: Put,
  PATCH: Patch,
  DELETE: Delete,
};

/** What a generated handler receives: the parsed body and query string. */
export interface RouteInput {
  body: unknown;
  query: Record<string, unknown>;
}

/**
 * Add one route to a controller from a table row, at load time (before Nest scans the class):
 * as if the controller had `@Verb(path) handler(@Body() body, @Query() query)`. Guards and
 * filters on the class apply to it like to any other method.
 */
export function addRoute<C extends object>(
  controller: abstract new (...args: never[]) => C,
  verb: RouteVerb,
  path: string,
  handler: (this: C, input: RouteInput) => unknown,
): void {
  const proto = controller.prototype as Record<string, unknown>;
  const name = `${verb} ${path}`;
  if (Object.hasOwn(proto, name)) throw new Error(`${controller.name}: ${name} is defined twice`);
  Object.defineProperty(proto, name, {
    value: function (this: C, body: unknown, query: Record<string, unknown>): unknown {
      return handler.call(this, { body, query });
    },
    writable: true,
    configurable: true,
  });
  const descriptor = Object.getOwnPropertyDescriptor(proto, name) as PropertyDescriptor;
  DECORATORS[verb](path)(proto, name, descriptor);
  Body()(proto, name, 0);
  Query()(proto, name, 1);
}
