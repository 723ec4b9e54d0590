import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { InvalidRequestError } from './domain-errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Query parameters shared by every list endpoint. Ids are UUIDv7, so id order is creation order. */
export class PageQueryDto {
  /** Maximum number of items to return. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number = 50;

  /** Opaque cursor from a previous page's `nextCursor`. */
  @IsOptional()
  @IsString()
  cursor?: string;
}

export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!UUID.test(id)) {
    throw new InvalidRequestError('invalid_cursor', 'cursor is not a cursor returned by this API', [
      { field: 'cursor', message: 'cursor is malformed' },
    ]);
  }
  return id;
}

/**
 * Keyset pagination over `id`: fetches one row more than asked to learn whether a next page
 * exists, without a COUNT.
 */
export async function paginate<Row extends { id: string }, Item>(
  query: PageQueryDto,
  fetch: (args: { take: number; cursorId?: string }) => Promise<Row[]>,
  map: (row: Row) => Item,
): Promise<{ data: Item[]; nextCursor: string | null }> {
  const limit = query.limit ?? 50;
  const rows = await fetch({ take: limit + 1, cursorId: decodeCursor(query.cursor) });
  const page = rows.slice(0, limit);
  return {
    data: page.map(map),
    nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null,
  };
}
