/** Which driver errors mean "the database is unavailable" (answered 503) and which do not (a bug: 500). */
import { describe, expect, it } from 'vitest';
import { asUnavailable, Unavailable } from '../../src/store/errors.js';

const withCode = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });

describe('asUnavailable', () => {
  it.each([
    ['connection refused', withCode('ECONNREFUSED')],
    ['connection reset', withCode('ECONNRESET')],
    ['broken pipe', withCode('EPIPE')],
    ['host unreachable', withCode('EHOSTUNREACH')],
    ['DNS failure', withCode('ENOTFOUND')],
    ['PostgreSQL admin shutdown', withCode('57P01')],
    ['PostgreSQL crash shutdown', withCode('57P02')],
    ['PostgreSQL starting up', withCode('57P03')],
    ['PostgreSQL too many connections', withCode('53300')],
    ['PostgreSQL statement cancelled (statement timeout)', withCode('57014')],
    ['PostgreSQL connection exception class 08', withCode('08006')],
    ['PostgreSQL connection does not exist', withCode('08003')],
    ['pg: connection terminated', new Error('Connection terminated unexpectedly')],
    ['pg-pool: connect timeout', new Error('timeout exceeded when trying to connect')],
    ['pg: client not queryable', new Error('Client has encountered a connection error and is not queryable')],
    ['SQLite busy', withCode('SQLITE_BUSY')],
    ['SQLite busy snapshot', withCode('SQLITE_BUSY_SNAPSHOT')],
    ['SQLite I/O error', withCode('SQLITE_IOERR_WRITE')],
    ['every address refused', Object.assign(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]), { code: '' })],
  ])('%s → Unavailable', (_name, err) => {
    const u = asUnavailable(err);
    expect(u).toBeInstanceOf(Unavailable);
    expect(u?.cause).toBe(err);
  });

  it.each([
    ['a unique violation', withCode('23505')],
    ['a syntax error', withCode('42601')],
    ['a foreign-key violation', withCode('SQLITE_CONSTRAINT_FOREIGNKEY')],
    ['a plain bug', new TypeError('cannot read properties of undefined')],
    ['a coded error whose message looks like pg', withCode('42P01', 'Connection terminated in a table name')],
    ['not an error', 'ECONNREFUSED'],
    ['a mixed aggregate', new AggregateError([withCode('ECONNREFUSED'), new Error('bug')])],
  ])('%s → not unavailable', (_name, err) => {
    expect(asUnavailable(err)).toBeUndefined();
  });
});
