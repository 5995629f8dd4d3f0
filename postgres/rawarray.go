package postgres

import (
	"context"
	"encoding/binary"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// The desk's bulk statements send a scan's cases as arrays, tens of
// thousands of elements a scan. They are encoded here, straight into
// PostgreSQL's binary array form, and sent through pgconn: pgx's generic
// encoding boxes every element in an interface and regrows its parameter
// buffer from 256 bytes at every statement, which cost a scan of 6,586
// cases about 10 ms of its CPU.

// arrayHeader starts a one-dimensional binary array of n elements of type
// oid, none NULL, with room for size more bytes.
func arrayHeader(oid uint32, n, size int) []byte {
	if n == 0 { // no dimensions
		b := make([]byte, 12)
		binary.BigEndian.PutUint32(b[8:], oid)
		return b
	}
	b := make([]byte, 20, 20+size)
	binary.BigEndian.PutUint32(b[0:], 1) // dimensions
	binary.BigEndian.PutUint32(b[4:], 0) // no NULL
	binary.BigEndian.PutUint32(b[8:], oid)
	binary.BigEndian.PutUint32(b[12:], uint32(n))
	binary.BigEndian.PutUint32(b[16:], 1) // lower bound
	return b
}

// textArray is ss as a binary text[].
func textArray(ss []string) []byte {
	size := 4 * len(ss)
	for _, s := range ss {
		size += len(s)
	}
	b := arrayHeader(pgtype.TextOID, len(ss), size)
	for _, s := range ss {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

// int4Array is v as a binary int4[].
func int4Array(v []int32) []byte {
	b := arrayHeader(pgtype.Int4OID, len(v), 8*len(v))
	for _, x := range v {
		b = binary.BigEndian.AppendUint32(b, 4)
		b = binary.BigEndian.AppendUint32(b, uint32(x))
	}
	return b
}

// float8Array is v as a binary float8[].
func float8Array(v []float64) []byte {
	b := arrayHeader(pgtype.Float8OID, len(v), 12*len(v))
	for _, x := range v {
		b = binary.BigEndian.AppendUint32(b, 8)
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

// timestamptzArray is v as a binary timestamptz[]: microseconds since
// 2000-01-01 UTC, as pgTime reads them back.
func timestamptzArray(v []time.Time) []byte {
	b := arrayHeader(pgtype.TimestamptzOID, len(v), 12*len(v))
	for _, t := range v {
		b = binary.BigEndian.AppendUint32(b, 8)
		b = binary.BigEndian.AppendUint64(b, uint64(pgMicros(t)))
	}
	return b
}

// timestamptzValue is t as a binary timestamptz.
func timestamptzValue(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(pgMicros(t)))
}

// pgMicros is t in PostgreSQL's binary timestamptz: microseconds since
// 2000-01-01 UTC (finer digits dropped, as pgx drops them).
func pgMicros(t time.Time) int64 {
	return t.Unix()*1e6 + int64(t.Nanosecond())/1e3 - pgEpoch*1e6
}

// uuidArray is ids as a binary uuid[] of kept elements; an id uuid.Parse
// cannot read (the forms PostgreSQL's uuid input takes) is left out.
func uuidArray(ids []string) (b []byte, kept int) {
	b = arrayHeader(pgtype.UUIDOID, len(ids), 20*len(ids))
	for _, id := range ids {
		u, err := uuid.Parse(id)
		if err != nil {
			continue
		}
		b = binary.BigEndian.AppendUint32(b, 16)
		b = append(b, u[:]...)
		kept++
	}
	if kept != len(ids) { // the header counted every id
		if kept == 0 {
			return arrayHeader(pgtype.UUIDOID, 0, 0), 0
		}
		binary.BigEndian.PutUint32(b[12:], uint32(kept))
	}
	return b, kept
}

// execRaw runs sql, prepared once per connection, with params in binary
// form, asking for every result column in binary (a text comes as its
// bytes), and calls row, when given, with each row's values: valid only
// during the call. It returns the command tag. After an error the
// statement is dropped from the connection, to be prepared again on its
// next use, as pgx's own statement cache does: a plan whose result type
// changed under it (a column altered by another process) fails once.
func (t *deskTx) execRaw(ctx context.Context, sql string, params [][]byte, row func([][]byte) error) (tag pgconn.CommandTag, err error) {
	conn := t.tx.Conn()
	defer func() {
		if err != nil && !conn.IsClosed() {
			// A protocol-level Close, accepted in a failed transaction; a
			// connection that cannot take it is closed and leaves the pool.
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deallocateTimeout)
			defer cancel()
			_ = conn.Deallocate(dctx, sql)
		}
	}()
	sd, err := conn.Prepare(ctx, sql, sql)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	formats := make([]int16, len(params))
	for i := range formats {
		formats[i] = pgtype.BinaryFormatCode
	}
	rr := conn.PgConn().ExecPrepared(ctx, sd.Name, params, formats, []int16{pgtype.BinaryFormatCode})
	var rowErr error
	for rr.NextRow() {
		if row != nil && rowErr == nil {
			rowErr = row(rr.Values())
		}
	}
	tag, err = rr.Close()
	if err == nil {
		err = rowErr
	}
	return tag, err
}

// deallocateTimeout bounds dropping a failed statement from its connection.
const deallocateTimeout = 5 * time.Second
