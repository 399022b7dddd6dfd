import { type Type } from '@nestjs/common';
import { ArgsType, Field, Int, ObjectType } from '@nestjs/graphql';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { BadUserInputError } from './graphql-errors';

/** Items of a page when `first` is not given, and at most (query-limits.ts counts a page's cost with them). */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/**
 * Relay-style connections for lists that can grow: `first`/`after`, `edges`,
 * `pageInfo`, `totalCount`. Keyset pagination: the cursor is an opaque base64 of
 * the row's sort key, so a page costs an index range scan, never an OFFSET.
 */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: `Page size (default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE})` })
  @IsOptional() @IsInt() @Min(1) @Max(MAX_PAGE_SIZE)
  first?: number;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page' })
  @IsOptional() @IsString() @MaxLength(1000)
  after?: string;
}

/** Relay's PageInfo. Pages go forward only (first/after), so hasPreviousPage is always false, as the spec allows. */
@ObjectType({ description: "Where a page stands in its list (Relay's connection spec)" })
export class PageInfo {
  @Field({ description: 'Whether more items follow: ask for them with after: endCursor' }) hasNextPage: boolean;
  @Field({ description: 'Always false: pages go forward only (first/after), as the spec allows' }) hasPreviousPage: boolean;
  @Field(() => String, { nullable: true, description: 'The cursor of the first item of this page; null when it is empty' }) startCursor: string | null;
  @Field(() => String, { nullable: true, description: 'The cursor of the last item of this page, for after; null when it is empty' }) endCursor: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  totalCount: number;
}

/** Declares `<Name>Connection` and `<Name>Edge` object types for a node type. */
export function ConnectionType<T>(node: Type<T>, name: string): Type<Connection<T>> {
  @ObjectType(`${name}Edge`, { description: `One ${name} of a page, with its cursor` })
  class EdgeType {
    @Field({ description: 'Where this item stands: pass it as after to get the items that follow' }) cursor: string;
    @Field(() => node, { description: `The ${name}` }) node: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${name} items (Relay's connection spec)` })
  class ConnectionTypeClass {
    @Field(() => [EdgeType], { description: 'The items of this page, in order' }) edges: EdgeType[];
    @Field(() => PageInfo, { description: 'Whether more pages follow, and the cursors to get them' }) pageInfo: PageInfo;
    @Field(() => Int, { description: 'How many items the whole list holds (with the same filter)' }) totalCount: number;
  }
  return ConnectionTypeClass as Type<Connection<T>>;
}

export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The sort key inside a cursor; a cursor that is not ours is bad input on `after`. */
export function decodeCursor(cursor: string, arity: number): unknown[] {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    // A key is strings and numbers (ids, addresses, times): anything else was not written by encodeCursor.
    if (Array.isArray(key) && key.length === arity && key.every((k) => typeof k === 'string' || (typeof k === 'number' && Number.isFinite(k)))) return key;
  } catch {
    // fall through
  }
  throw BadUserInputError.field('after', 'is not a cursor of this list');
}

/**
 * Builds a connection from rows fetched with LIMIT first + 1 (the extra row says
 * whether there is a next page).
 */
export function toConnection<R, T>(rows: R[], first: number, totalCount: number, keyOf: (row: R) => unknown[], nodeOf: (row: R) => T): Connection<T> {
  const page = rows.slice(0, first);
  const edges = page.map((row) => ({ cursor: encodeCursor(keyOf(row)), node: nodeOf(row) }));
  const pageInfo = { hasNextPage: rows.length > first, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null };
  return { edges, totalCount, pageInfo };
}
