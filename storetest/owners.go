package storetest

import (
	"errors"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/stretchr/testify/require"
)

// ownerReader returns the store as a ClientOwnerReader, failing the test
// when it is none.
func ownerReader(t *testing.T, s proactive.Store) proactive.ClientOwnerReader {
	t.Helper()
	r, ok := s.(proactive.ClientOwnerReader)
	require.True(t, ok, "%T does not implement proactive.ClientOwnerReader (ClientOwners)", s)
	return r
}

// ownerView is a ClientOwner in comparable form.
type ownerView struct{ Email, Owner, At string }

func testClientOwners(t *testing.T, open opener) {
	now := Now()
	cur := now.Add(-time.Hour)
	// withCoach inserts the rows, adds a coach column (the user's own
	// column, not the contract's) and sets it by (email, score).
	withCoach := func(t *testing.T, s proactive.Store, rows []proactive.Row, coaches map[[2]string]string) {
		t.Helper()
		MustInsert(t, s, proactive.TableHealthScores, rows...)
		MustExec(t, s, "ALTER TABLE client_health_scores ADD COLUMN coach text")
		for k, coach := range coaches {
			MustExec(t, s, "UPDATE client_health_scores SET coach = '"+coach+"' WHERE email = '"+k[0]+"' AND health_score = "+k[1])
		}
	}
	read := func(t *testing.T, s proactive.Store, column string) ([]ownerView, proactive.Skipped, error) {
		var out []ownerView
		skipped, err := ownerReader(t, s).ClientOwners(t.Context(), proactive.OwnerQuery{Now: now, WindowDays: proactive.HealthWindowDays, Column: column},
			func(c proactive.ClientOwner) error {
				out = append(out, ownerView{c.Email, c.Owner, ts(c.At)})
				return nil
			})
		return sortedBy(out, func(v ownerView) string { return v.Email }), skipped, err
	}

	t.Run("the owner of the newest valid reading, trimmed", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		withCoach(t, s, []proactive.Row{
			reading("a@example.com", 80.0, "GREEN", now.Add(-2*day)),
			reading("a@example.com", 70.0, "GREEN", cur),
			reading("a@example.com", 150.0, "GREEN", now.Add(-30*time.Minute)), // newer but no valid reading
			reading("b@example.com", 60.0, "GREEN", cur),
			reading("c@example.com", 60.0, "GREEN", now.Add(-day)),
			reading("c@example.com", 50.0, "GREEN", now.Add(-day)), // a tie: the lower score is the newer
			reading("d@example.com", 60.0, "GREEN", cur),
			reading("D@example.com", 61.0, "GREEN", cur),
			reading("old@example.com", 60.0, "GREEN", now.Add(-15*day)),
			reading(nil, 60.0, "GREEN", cur),
		}, map[[2]string]string{
			{"a@example.com", "80"}: "Bob", {"a@example.com", "70"}: " Ann ", {"a@example.com", "150"}: "Zed",
			{"c@example.com", "60"}: "Bob", {"c@example.com", "50"}: "Cy",
			{"d@example.com", "60"}: "   ", {"D@example.com", "61"}: "Ann",
			{"old@example.com", "60"}: "Old",
		})
		got, skipped, err := read(t, s, "coach")
		require.NoError(t, err)
		require.Equal(t, []ownerView{
			{"D@example.com", "Ann", ts(cur)},
			{"a@example.com", "Ann", ts(cur)},
			{"b@example.com", "", ts(cur)},
			{"c@example.com", "Cy", ts(now.Add(-day))},
			{"d@example.com", "", ts(cur)},
		}, got)
		requireSkipped(t, proactive.Skipped{proactive.SkipScoreOutOfRange: 1, proactive.SkipNullEmail: 1}, skipped)
	})

	t.Run("a missing column is ENOTFOUND naming it", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		MustInsert(t, s, proactive.TableHealthScores, reading("a@example.com", 80.0, "GREEN", cur))
		_, _, err := read(t, s, "coach")
		requireCode(t, proactive.ENOTFOUND, err)
		require.Contains(t, proactive.ErrorMessage(err), "coach")
		require.Contains(t, proactive.ErrorMessage(err), proactive.TableHealthScores)
	})

	t.Run("a column that is no identifier is EINVALID", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		_, _, err := read(t, s, `coach"; DROP TABLE leads; --`)
		requireCode(t, proactive.EINVALID, err)
	})

	t.Run("an fn error stops the stream and is returned", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		withCoach(t, s, []proactive.Row{
			reading("a@example.com", 80.0, "GREEN", cur), reading("b@example.com", 80.0, "GREEN", cur),
		}, nil)
		stop := errors.New("stop")
		calls := 0
		_, err := ownerReader(t, s).ClientOwners(t.Context(), proactive.OwnerQuery{Now: now, Column: "coach"},
			func(proactive.ClientOwner) error { calls++; return stop })
		require.ErrorIs(t, err, stop)
		require.Equal(t, 1, calls)
	})
}
