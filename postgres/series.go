package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	proactive "github.com/ptd-agents/ptd-proactive"
)

var _ proactive.HealthSeriesReader = (*DB)(nil)

// healthSeriesSQL streams one row per email with at least $3 valid
// readings in the window: its scores and times newest first (a tie: the
// lower score first), as healthTrendsSQL reads them, through the index
// ptd_health_email_calculated_at_idx in (email, calculated_at DESC,
// health_score) order, so the aggregation streams without a sort and the
// process receives one client at a time. The newest-drop prefilter is
// judged on the aggregates in HAVING, so only candidates travel.
//
// %[1]s is the aggregate ORDER BY, as for healthTrendsSQL: empty before
// PostgreSQL 16, " ORDER BY at DESC, score" from 16 on. %[2]s restricts the
// emails (SeriesQuery.Emails: an index range per email). %[3]s and %[4]s
// add the names and zone of the newest reading, looked up per client
// (costly: about three times the rest, hence NoNames for a first pass).
//
// $1 window start, $2 now, $3 minimum readings, $4 minimum newest drop
// (0: none), $5 the emails when %[2]s uses them.
const healthSeriesSQL = `
SELECT g.email, g.s, g.a%[3]s
FROM (
	SELECT email, array_agg(score%[1]s) AS s, array_agg(at%[1]s) AS a
	FROM (
		SELECT email::text AS email, health_score::float8 AS score, calculated_at::timestamptz AS at
		FROM client_health_scores
		WHERE calculated_at >= $1 AND calculated_at <= $2
		  AND email IS NOT NULL AND email <> '' AND health_score >= 0 AND health_score <= 100%[2]s
		ORDER BY email, calculated_at DESC, health_score
		OFFSET 0
	) o
	GROUP BY email
	HAVING count(*) >= $3
	   AND ($4::float8 <= 0 OR (array_agg(score%[1]s))[2] - (array_agg(score%[1]s))[1] >= $4::float8)
) g%[4]s`

// healthSeriesNames are the %[3]s and %[4]s of healthSeriesSQL that add
// the newest reading's names and zone; the join's %[1]s and the columns'
// %[1]s (after Sprintf of the join) are its configured owner and value
// columns (nameExtras), "" when none.
const (
	healthSeriesNameColumns = `, coalesce(n.firstname, ''), coalesce(n.lastname, ''), coalesce(n.zone, '')`
	healthSeriesNameJoin    = `
LEFT JOIN LATERAL (
	SELECT c.firstname::text AS firstname, c.lastname::text AS lastname, c.health_zone::text AS zone%[1]s
	FROM client_health_scores c
	WHERE c.email = g.email AND c.calculated_at = g.a[1] AND c.health_score = g.s[1]
	ORDER BY c.health_zone, c.firstname, c.lastname
	LIMIT 1
) n ON true`
)

// HealthSeries streams the valid readings of the last q.WindowDays days
// (14 when 0) per email as written, one client at a time, to fn: clients
// with at least q.MinReadings readings, oldest first (a tie: the higher
// score first), with the names and zone of the newest unless q.NoNames.
// The newest-drop prefilter of q is applied in the database. Rows that make no
// sense are skipped and counted as HealthTrends counts them (not with
// q.Emails). The configured owner and value columns of q that the table
// has are read with the names (not with q.NoNames).
func (d *DB) HealthSeries(ctx context.Context, q proactive.SeriesQuery, fn func(*proactive.ClientSeries) error) (proactive.Skipped, error) {
	const op = "read client health series"
	now := q.Now.UTC()
	windowDays := q.WindowDays
	if windowDays <= 0 {
		windowDays = proactive.HealthWindowDays
	}
	from := now.Add(-time.Duration(windowDays) * 24 * time.Hour)
	order, emails, columns, join := "", "", "", ""
	if d.major >= 16 {
		order = " ORDER BY at DESC, score"
	}
	args := []any{from, now, max(q.MinReadings, 1), q.MinNewestDropBound()}
	if q.Emails != nil {
		emails = "\n\t\t  AND email = ANY($5::text[])"
		args = append(args, q.Emails)
	}
	use := []string{"", ""}
	if !q.NoNames {
		var err error
		if use, err = d.optionalColumns(ctx, proactive.TableHealthScores, q.OwnerColumn, q.ValueColumn); err != nil {
			return nil, d.tableFail(op, proactive.TableHealthScores, err)
		}
		outer, inner := nameExtras(q.OwnerColumn, q.ValueColumn, use)
		columns, join = healthSeriesNameColumns+outer, fmt.Sprintf(healthSeriesNameJoin, inner)
	}
	rows, err := d.pool.Query(ctx, fmt.Sprintf(healthSeriesSQL, order, emails, columns, join), args...)
	if err != nil {
		if use[0] != "" || use[1] != "" {
			d.cat.forget() // a column dropped or retyped since it was looked up
		}
		return nil, d.tableFail(op, proactive.TableHealthScores, err)
	}
	defer rows.Close()
	var (
		s      proactive.ClientSeries
		scores []float64
		ats    []time.Time
		zone   string
		owner  *string
		value  *float64
	)
	dest := []any{&s.Email, &scores, &ats}
	if !q.NoNames {
		dest = append(dest, &s.Firstname, &s.Lastname, &zone)
	}
	if use[0] != "" {
		dest = append(dest, &owner)
	}
	if use[1] != "" {
		dest = append(dest, &value)
	}
	raw := seriesRaw(rows.FieldDescriptions())
	for rows.Next() {
		owner, value = nil, nil
		if raw {
			// The first pass over every client: decoded from the binary
			// arrays into the slices' memory, without pgx's array codec.
			var err error
			v := rows.RawValues()
			s.Email = string(v[0])
			if scores, err = decodeFloat8Array(v[1], scores[:0]); err == nil {
				ats, err = decodeTimestamptzArray(v[2], ats[:0])
			}
			if err != nil {
				return nil, d.tableFail(op, proactive.TableHealthScores, err)
			}
		} else if err := rows.Scan(dest...); err != nil { // pgx decodes into the slices' memory when it can
			return nil, d.tableFail(op, proactive.TableHealthScores, err)
		}
		if strings.Trim(s.Email, " ") == "" { // btrim's spaces, as HealthTrends
			// A blank email names nobody (healthSkippedSQL counts it as a
			// null email). Judged here, not per reading in SQL.
			continue
		}
		if len(scores) != len(ats) {
			return nil, proactive.Errorf(proactive.EINTERNAL, "%s: %d scores but %d times for one client", op, len(scores), len(ats))
		}
		s.Zone = normalizeZone(zone)
		s.Owner, s.Value = "", 0
		if owner != nil {
			s.Owner = strings.TrimSpace(*owner)
		}
		if value != nil {
			s.Value = *value
		}
		s.Readings = s.Readings[:0]
		for i := len(scores) - 1; i >= 0; i-- { // newest first → oldest first
			s.Readings = append(s.Readings, proactive.SeriesPoint{Score: scores[i], At: ats[i].UTC()})
		}
		if err := fn(&s); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, d.tableFail(op, proactive.TableHealthScores, err)
	}
	if q.Emails != nil {
		return nil, nil
	}
	skipped, err := d.healthSkipped(ctx, from, now, proactive.AsOf(now, q.Wall))
	if err != nil {
		return nil, d.tableFail(op, proactive.TableHealthScores, err)
	}
	return skipped, nil
}

// healthSkipped counts the health rows that make no sense as the health
// check does (healthSkippedSQL, through the partial indexes); wall is
// proactive.AsOf of the read.
func (d *DB) healthSkipped(ctx context.Context, from, now, wall time.Time) (proactive.Skipped, error) {
	var nullTS, future, nullEmail, badScore int64
	if err := d.pool.QueryRow(ctx, healthSkippedSQL, from, now, wall).Scan(&nullTS, &future, &nullEmail, &badScore); err != nil {
		return nil, err
	}
	skipped := proactive.Skipped{}
	skipped.Add(proactive.SkipNullTimestamp, int(nullTS))
	skipped.Add(proactive.SkipFutureTimestamp, int(future))
	skipped.Add(proactive.SkipNullEmail, int(nullEmail))
	skipped.Add(proactive.SkipScoreOutOfRange, int(badScore))
	return skipped, nil
}

// seriesRaw reports whether a result of healthSeriesSQL is the first
// pass's (email, scores, times and nothing else), its arrays in the binary
// form decodeFloat8Array and decodeTimestamptzArray read.
func seriesRaw(fds []pgconn.FieldDescription) bool {
	return len(fds) == 3 && fds[0].DataTypeOID == pgtype.TextOID &&
		fds[1].DataTypeOID == pgtype.Float8ArrayOID && fds[1].Format == pgtype.BinaryFormatCode &&
		fds[2].DataTypeOID == pgtype.TimestamptzArrayOID && fds[2].Format == pgtype.BinaryFormatCode
}

// arrayElems calls each with every element of a one-dimensional binary
// array of elements size bytes long, none null; an empty array has none.
func arrayElems(b []byte, size int, each func([]byte)) error {
	bad := func(what string) error {
		return fmt.Errorf("%d bytes are no one-dimensional array of %d-byte values: %s", len(b), size, what)
	}
	if len(b) < 12 {
		return bad("short header")
	}
	switch binary.BigEndian.Uint32(b[0:4]) {
	case 0:
		return nil
	case 1:
	default:
		return bad("dimensions")
	}
	if len(b) < 20 {
		return bad("short dimension")
	}
	n := int(int32(binary.BigEndian.Uint32(b[12:16])))
	p := 20
	for range n {
		if len(b) < p+4+size || int32(binary.BigEndian.Uint32(b[p:p+4])) != int32(size) {
			return bad("an element is null or of another size")
		}
		each(b[p+4 : p+4+size])
		p += 4 + size
	}
	return nil
}

// decodeFloat8Array appends the values of a binary float8[] to dst.
func decodeFloat8Array(b []byte, dst []float64) ([]float64, error) {
	err := arrayElems(b, 8, func(e []byte) { dst = append(dst, math.Float64frombits(binary.BigEndian.Uint64(e))) })
	return dst, err
}

// decodeTimestamptzArray appends the times of a binary timestamptz[] to
// dst, in UTC; an infinite time is an error.
func decodeTimestamptzArray(b []byte, dst []time.Time) ([]time.Time, error) {
	var inf bool
	err := arrayElems(b, 8, func(e []byte) {
		us := int64(binary.BigEndian.Uint64(e))
		inf = inf || us == math.MaxInt64 || us == math.MinInt64
		dst = append(dst, pgTime(us))
	})
	if err == nil && inf {
		err = errors.New("an infinite timestamp in a series")
	}
	return dst, err
}
