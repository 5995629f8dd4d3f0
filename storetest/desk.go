package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// deskOpener opens a fresh, empty desk for one test.
type deskOpener func(t *testing.T) proactive.Desk

// RunDesk runs the desk primitives suite (cases, events, silences, group
// alerts, outbox) against the desks open returns. Every store's Desk and
// the in-memory reference (package memstore) must pass it.
func RunDesk(t *testing.T, open func(t *testing.T) proactive.Desk) {
	o := deskOpener(open)
	t.Run("Cases", func(t *testing.T) { testDeskCases(t, o) })
	t.Run("CaseQueries", func(t *testing.T) { testDeskCaseQueries(t, o) })
	t.Run("Events", func(t *testing.T) { testDeskEvents(t, o) })
	t.Run("Transactions", func(t *testing.T) { testDeskTransactions(t, o) })
	t.Run("Silences", func(t *testing.T) { testDeskSilences(t, o) })
	t.Run("GroupAlerts", func(t *testing.T) { testDeskAlerts(t, o) })
	t.Run("ResolvedAlerts", func(t *testing.T) { testDeskResolvedAlerts(t, o) })
	t.Run("Outbox", func(t *testing.T) { testDeskOutbox(t, o) })
	t.Run("ConcurrentOpen", func(t *testing.T) { testDeskConcurrentOpen(t, o) })
}

// update runs fn in an Update transaction or fails the test.
func update(t *testing.T, d proactive.Desk, fn func(tx proactive.DeskTx) error) {
	t.Helper()
	require.NoError(t, d.Update(t.Context(), fn))
}

// view runs fn in a View transaction or fails the test.
func view(t *testing.T, d proactive.Desk, fn func(tx proactive.DeskTx) error) {
	t.Helper()
	require.NoError(t, d.View(t.Context(), fn))
}

func tp(t time.Time) *time.Time { return &t }

// SampleCase is an open case of key (its type the part before ":") with
// every column a scan reads set, opened at at; tests change what they
// need.
func SampleCase(key string, at time.Time) proactive.Case {
	typ, _, _ := strings.Cut(key, ":")
	return proactive.Case{
		ID: uuid.NewString(), Type: proactive.AnomalyType(typ), Key: key, Label: "Label of " + key,
		State: proactive.CaseOpen, Severity: proactive.SeverityHigh, PeakSeverity: proactive.SeverityCritical,
		Urgency: 77, OpenedAt: at, LastSeenAt: at.Add(time.Minute), Owner: "Coach Ann",
		Details: json.RawMessage(`{"score_drop":12.5,"email":"x@y.z"}`), Seq: 1, UpdatedAt: at, Metric: 12.5,
	}
}

// ResolvedSample is SampleCase resolved (cleared) at resolvedAt.
func ResolvedSample(key string, at, resolvedAt time.Time) proactive.Case {
	c := SampleCase(key, at)
	c.State, c.ResolvedAt, c.ResolveReason = proactive.CaseResolved, &resolvedAt, proactive.ResolveCleared
	return c
}

// requireSameCase compares cases with times compared as instants and
// details as JSON.
func requireSameCase(t *testing.T, want, got proactive.Case, msg ...any) {
	t.Helper()
	if len(want.Details) > 0 || len(got.Details) > 0 {
		require.JSONEq(t, string(want.Details), string(got.Details), msg...)
	}
	want.Details, got.Details = nil, nil
	for _, c := range []*proactive.Case{&want, &got} {
		c.OpenedAt, c.LastSeenAt, c.UpdatedAt = c.OpenedAt.UTC(), c.LastSeenAt.UTC(), c.UpdatedAt.UTC()
		for _, p := range []**time.Time{&c.ResolvedAt, &c.AcknowledgedAt, &c.SnoozedUntil, &c.WokeAt} {
			if *p != nil {
				u := (*p).UTC()
				*p = &u
			}
		}
	}
	require.Equal(t, want, got, msg...)
}

func testDeskCases(t *testing.T, open deskOpener) {
	t.Parallel()
	now := Now()
	t.Run("SeenCases reads the scan's view of the unresolved cases", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		full := SampleCase("deal_stall:deal-7", now)
		ackAt, snooze, woke := now.Add(-time.Hour), now.Add(2*time.Hour), now.Add(-30*time.Minute)
		full.State, full.AckSeverity, full.AcknowledgedBy, full.AcknowledgedAt = proactive.CaseSnoozed, proactive.SeverityMedium, "kim", &ackAt
		full.SnoozedUntil, full.SnoozeReason, full.Note, full.InhibitedBy = &snooze, "on leave", "called", "sync_fail"
		full.PreviousCaseID, full.Assigned, full.WokeAt = uuid.NewString(), true, &woke
		bare := SampleCase("health_drop:bare@x.com", now)
		bare.Label, bare.Owner, bare.Details, bare.Severity, bare.PeakSeverity = "", "", nil, "", ""
		gone := ResolvedSample("deal_stall:deal-8", now, now)
		update(t, d, func(tx proactive.DeskTx) error {
			return tx.InsertCases(t.Context(), []proactive.Case{full, bare, gone})
		})
		keys := []string{full.Key, bare.Key, gone.Key, "deal_stall:nobody"}
		view(t, d, func(tx proactive.DeskTx) error {
			whole, err := tx.UnresolvedCases(t.Context(), keys)
			require.NoError(t, err)
			seen, err := tx.SeenCases(t.Context(), keys)
			require.NoError(t, err)
			require.Len(t, whole, 2, "the resolved case and the unknown key are left out")
			require.Len(t, seen, len(whole))
			proactive.SortCases(whole)
			proactive.SortCases(seen)
			for i := range whole {
				requireSameCase(t, whole[i].ScanView(), seen[i])
			}
			none, err := tx.SeenCases(t.Context(), nil)
			require.NoError(t, err)
			require.Empty(t, none)
			return nil
		})
	})
	t.Run("SeenCasesBetween reads a key range in byte order", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		// Byte order puts "Z" before "a" and "é" after both; a language's
		// collation would not.
		keys := []string{"deal_stall:deal-A", "deal_stall:deal-Z", "deal_stall:deal-a", "deal_stall:deal-b", "deal_stall:deal-é"}
		var cs []proactive.Case
		for _, k := range keys {
			cs = append(cs, SampleCase(k, now))
		}
		gone := ResolvedSample("deal_stall:deal-Y", now, now)
		update(t, d, func(tx proactive.DeskTx) error {
			return tx.InsertCases(t.Context(), append(slices.Clone(cs), gone))
		})
		keysOf := func(cs []proactive.Case) []string {
			var out []string
			for _, c := range cs {
				out = append(out, c.Key)
			}
			slices.Sort(out)
			return out
		}
		view(t, d, func(tx proactive.DeskTx) error {
			ctx := t.Context()
			// Asked for Z and é, from Z to é: a and b lie between but
			// were not asked for; the resolved Y is no answer either.
			asked := []string{"deal_stall:deal-Z", "deal_stall:deal-é", "deal_stall:deal-Y", "deal_stall:deal-c"}
			got, err := tx.SeenCasesBetween(ctx, asked, "deal_stall:deal-Y", "deal_stall:deal-é")
			require.NoError(t, err)
			require.Equal(t, []string{"deal_stall:deal-Z", "deal_stall:deal-é"}, keysOf(got))
			want, err := tx.SeenCases(ctx, asked)
			require.NoError(t, err)
			proactive.SortCases(want)
			proactive.SortCases(got)
			for i := range want {
				requireSameCase(t, want[i], got[i])
			}
			// The whole range in byte order: A, Z, a, b, é.
			got, err = tx.SeenCasesBetween(ctx, keys, keys[0], keys[len(keys)-1])
			require.NoError(t, err)
			require.Equal(t, keys, keysOf(got))

			for _, bad := range []struct {
				name   string
				keys   []string
				lo, hi string
			}{
				{"a key after hi", []string{"deal_stall:deal-b"}, "deal_stall:deal-A", "deal_stall:deal-a"},
				{"a key before lo", []string{"deal_stall:deal-A"}, "deal_stall:deal-Z", "deal_stall:deal-b"},
				{"lo after hi", nil, "deal_stall:deal-b", "deal_stall:deal-a"},
			} {
				_, err := tx.SeenCasesBetween(ctx, bad.keys, bad.lo, bad.hi)
				require.Error(t, err, bad.name)
				require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err), "%s: %v", bad.name, err)
			}
			none, err := tx.SeenCasesBetween(ctx, nil, "a", "z")
			require.NoError(t, err)
			require.Empty(t, none)
			return nil
		})
	})
	t.Run("round trip of every column", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		c := SampleCase("health_drop:jane@x.com", now)
		update(t, d, func(tx proactive.DeskTx) error { return tx.InsertCases(t.Context(), []proactive.Case{c}) })
		view(t, d, func(tx proactive.DeskTx) error {
			got, err := tx.UnresolvedCases(t.Context(), []string{c.Key, "health_drop:nobody"})
			require.NoError(t, err)
			require.Len(t, got, 1)
			requireSameCase(t, c, got[0])
			byID, err := tx.CasesByID(t.Context(), []string{c.ID, uuid.NewString()})
			require.NoError(t, err)
			require.Len(t, byID, 1)
			requireSameCase(t, c, byID[0])
			return nil
		})

		// Every column written back, pointers set.
		c.State, c.Severity, c.Urgency = proactive.CaseSnoozed, proactive.SeverityMedium, 51
		c.AcknowledgedBy, c.AcknowledgedAt, c.AckSeverity = "ann", tp(now.Add(time.Hour)), proactive.SeverityHigh
		c.SnoozedUntil, c.SnoozeReason = tp(now.Add(48*time.Hour)), "holiday"
		c.InhibitedBy, c.Note, c.PreviousCaseID = "sync_fail:hubspot_x", "called", uuid.NewString()
		c.Seq, c.UpdatedAt, c.Assigned, c.WokeAt, c.Metric = 4, now.Add(2*time.Hour), true, tp(now.Add(90*time.Minute)), 3.25
		c.Label, c.Owner, c.Details = "Jane Doe (jane@x.com)", "Maria", json.RawMessage(`{"score_drop":20}`)
		update(t, d, func(tx proactive.DeskTx) error { return tx.UpdateCases(t.Context(), []proactive.Case{c}) })
		view(t, d, func(tx proactive.DeskTx) error {
			got, err := tx.CasesByID(t.Context(), []string{c.ID})
			require.NoError(t, err)
			requireSameCase(t, c, got[0])
			return nil
		})

		// And cleared again: nulls come back as zero values.
		c.State = proactive.CaseResolved
		c.ResolvedAt, c.ResolveReason = tp(now.Add(3*time.Hour)), proactive.ResolveManual
		c.AcknowledgedBy, c.AcknowledgedAt, c.AckSeverity, c.SnoozedUntil, c.SnoozeReason = "", nil, "", nil, ""
		c.InhibitedBy, c.Note, c.PreviousCaseID, c.Owner, c.WokeAt, c.Details = "", "", "", "", nil, nil
		update(t, d, func(tx proactive.DeskTx) error { return tx.UpdateCases(t.Context(), []proactive.Case{c}) })
		view(t, d, func(tx proactive.DeskTx) error {
			got, err := tx.CasesByID(t.Context(), []string{c.ID})
			require.NoError(t, err)
			requireSameCase(t, c, got[0])
			left, err := tx.UnresolvedCases(t.Context(), []string{c.Key})
			require.NoError(t, err)
			require.Empty(t, left, "a resolved case is not unresolved")
			return nil
		})
	})

	t.Run("one unresolved case per key", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		a := SampleCase("deal_stall:deal-1", now)
		update(t, d, func(tx proactive.DeskTx) error { return tx.InsertCases(t.Context(), []proactive.Case{a}) })
		b := SampleCase("deal_stall:deal-1", now.Add(time.Hour))
		err := d.Update(t.Context(), func(tx proactive.DeskTx) error { return tx.InsertCases(t.Context(), []proactive.Case{b}) })
		require.Error(t, err)
		require.Equal(t, proactive.ECONFLICT, proactive.ErrorCode(err), err.Error())

		// Resolved, the key takes a new case; the old one stays (history).
		a.State, a.ResolvedAt, a.ResolveReason = proactive.CaseResolved, tp(now.Add(30*time.Minute)), proactive.ResolveCleared
		update(t, d, func(tx proactive.DeskTx) error {
			if err := tx.UpdateCases(t.Context(), []proactive.Case{a}); err != nil {
				return err
			}
			b.PreviousCaseID = a.ID
			return tx.InsertCases(t.Context(), []proactive.Case{b})
		})
		view(t, d, func(tx proactive.DeskTx) error {
			got, err := tx.UnresolvedCases(t.Context(), []string{"deal_stall:deal-1"})
			require.NoError(t, err)
			require.Len(t, got, 1)
			require.Equal(t, b.ID, got[0].ID)
			prev, err := tx.NewestResolvedCaseIDs(t.Context(), []string{"deal_stall:deal-1", "deal_stall:deal-2"})
			require.NoError(t, err)
			require.Equal(t, map[string]string{"deal_stall:deal-1": a.ID}, prev)
			return nil
		})
	})

	t.Run("newest resolved by resolved_at", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		var cs []proactive.Case
		for i, at := range []time.Duration{3 * time.Hour, time.Hour, 2 * time.Hour} {
			c := SampleCase("lead:lead-9", now.Add(time.Duration(i)*time.Minute))
			c.Type = proactive.ResponseDelay
			c.State, c.ResolvedAt, c.ResolveReason = proactive.CaseResolved, tp(now.Add(at)), proactive.ResolveCleared
			cs = append(cs, c)
		}
		update(t, d, func(tx proactive.DeskTx) error { return tx.InsertCases(t.Context(), cs) })
		view(t, d, func(tx proactive.DeskTx) error {
			prev, err := tx.NewestResolvedCaseIDs(t.Context(), []string{"lead:lead-9"})
			require.NoError(t, err)
			require.Equal(t, cs[0].ID, prev["lead:lead-9"])
			return nil
		})
	})

	t.Run("touch moves last_seen_at forward only", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		c := SampleCase("health_drop:a@x.com", now)
		update(t, d, func(tx proactive.DeskTx) error { return tx.InsertCases(t.Context(), []proactive.Case{c}) })
		update(t, d, func(tx proactive.DeskTx) error {
			return tx.TouchCases(t.Context(), []string{c.ID}, now.Add(2*time.Hour))
		})
		update(t, d, func(tx proactive.DeskTx) error {
			return tx.TouchCases(t.Context(), []string{c.ID}, now.Add(time.Hour)) // earlier: ignored
		})
		view(t, d, func(tx proactive.DeskTx) error {
			got, err := tx.CasesByID(t.Context(), []string{c.ID})
			require.NoError(t, err)
			require.True(t, got[0].LastSeenAt.Equal(now.Add(2*time.Hour)), got[0].LastSeenAt)
			require.Equal(t, c.Urgency, got[0].Urgency, "touch changes nothing else")
			return nil
		})
	})

	t.Run("TouchCasesBetween touches the unresolved cases in its key range", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		var cs []proactive.Case
		for _, k := range []string{"deal_stall:deal-A", "deal_stall:deal-Z", "deal_stall:deal-a", "deal_stall:deal-b"} {
			cs = append(cs, SampleCase(k, now))
		}
		gone := ResolvedSample("deal_stall:deal-Zz", now, now)
		cs = append(cs, gone)
		update(t, d, func(tx proactive.DeskTx) error { return tx.InsertCases(t.Context(), cs) })
		ids := []string{"not-a-uuid"}
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		later := now.Add(time.Hour)
		update(t, d, func(tx proactive.DeskTx) error {
			// From Z to a in byte order: Z, the resolved Zz and a.
			return tx.TouchCasesBetween(t.Context(), ids, "deal_stall:deal-Z", "deal_stall:deal-a", later)
		})
		update(t, d, func(tx proactive.DeskTx) error {
			return tx.TouchCasesBetween(t.Context(), ids, "deal_stall:deal-Z", "deal_stall:deal-a", now.Add(-time.Minute)) // earlier than every case: ignored
		})
		err := d.Update(t.Context(), func(tx proactive.DeskTx) error {
			return tx.TouchCasesBetween(t.Context(), ids, "deal_stall:deal-b", "deal_stall:deal-a", later)
		})
		require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err), "lo after hi: %v", err)
		view(t, d, func(tx proactive.DeskTx) error {
			got, err := tx.CasesByID(t.Context(), ids[1:])
			require.NoError(t, err)
			moved := map[string]bool{}
			for _, c := range got {
				moved[c.Key] = c.LastSeenAt.Equal(later)
				if !moved[c.Key] {
					require.True(t, c.LastSeenAt.Equal(cs[0].LastSeenAt), "%s left as it was: %v", c.Key, c.LastSeenAt)
				}
			}
			require.Equal(t, map[string]bool{"deal_stall:deal-A": false, "deal_stall:deal-Z": true, "deal_stall:deal-a": true,
				"deal_stall:deal-b": false, "deal_stall:deal-Zz": false}, moved, "in range and unresolved: moved")
			return nil
		})
	})

	t.Run("an id that is no uuid: touch skips it, refresh refuses the batch", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		c := SampleCase("deal_stall:deal-3", now)
		update(t, d, func(tx proactive.DeskTx) error { return tx.InsertCases(t.Context(), []proactive.Case{c}) })
		update(t, d, func(tx proactive.DeskTx) error {
			return tx.TouchCases(t.Context(), []string{"not-a-uuid", c.ID}, now.Add(time.Hour))
		})
		bad := c
		bad.ID = "not-a-uuid"
		r := c
		r.LastSeenAt, r.Urgency = now.Add(2*time.Hour), 5
		err := d.Update(t.Context(), func(tx proactive.DeskTx) error { return tx.RefreshCases(t.Context(), []proactive.Case{r, bad}) })
		require.Error(t, err)
		view(t, d, func(tx proactive.DeskTx) error {
			got, err := tx.CasesByID(t.Context(), []string{c.ID})
			require.NoError(t, err)
			require.True(t, got[0].LastSeenAt.Equal(now.Add(time.Hour)), "touched beside the bad id: %v", got[0].LastSeenAt)
			require.Equal(t, c.Urgency, got[0].Urgency, "the refused batch wrote nothing")
			return nil
		})
	})

	t.Run("refresh writes the scan's figures only; details come back as written", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		c := SampleCase("deal_stall:deal-7", now)
		c.State, c.AcknowledgedBy, c.AcknowledgedAt, c.AckSeverity = proactive.CaseAcknowledged, "maria", tp(now), proactive.SeverityHigh
		c.Note = "called them"
		// Keys out of alphabetical order, spaces and a float: a store that
		// normalises JSON (PostgreSQL's jsonb) would give other bytes back.
		c.Details = json.RawMessage(`{"zeta":1,"alpha":"b", "days_stalled":45,"amount":638.41}`)
		update(t, d, func(tx proactive.DeskTx) error { return tx.InsertCases(t.Context(), []proactive.Case{c}) })
		view(t, d, func(tx proactive.DeskTx) error {
			got, err := tx.CasesByID(t.Context(), []string{c.ID})
			require.NoError(t, err)
			require.Equal(t, string(c.Details), string(got[0].Details), "inserted details read back byte for byte")
			return nil
		})

		r := c
		r.LastSeenAt, r.Urgency, r.Label, r.Owner, r.Metric = now.Add(2*time.Hour), 12, "Deal 7 renamed", "", 46
		r.Details = json.RawMessage(`{"zeta":2,"alpha":"b","days_stalled":46,"amount":638.41}`)
		// Not the figures of a refresh: ignored.
		r.State, r.Severity, r.PeakSeverity, r.Seq, r.Note, r.AcknowledgedBy = proactive.CaseOpen, proactive.SeverityLow, proactive.SeverityLow, 9, "", ""
		first := r
		first.Urgency = 1 // an earlier copy of the same case: the last one is written
		update(t, d, func(tx proactive.DeskTx) error { return tx.RefreshCases(t.Context(), []proactive.Case{first, r}) })
		view(t, d, func(tx proactive.DeskTx) error {
			got, err := tx.CasesByID(t.Context(), []string{c.ID})
			require.NoError(t, err)
			g := got[0]
			require.True(t, g.LastSeenAt.Equal(r.LastSeenAt), g.LastSeenAt)
			require.Equal(t, 12, g.Urgency)
			require.Equal(t, "Deal 7 renamed", g.Label)
			require.Empty(t, g.Owner)
			require.Equal(t, 46.0, g.Metric)
			require.Equal(t, string(r.Details), string(g.Details), "refreshed details read back byte for byte")
			require.Equal(t, proactive.CaseAcknowledged, g.State)
			require.Equal(t, c.Severity, g.Severity)
			require.Equal(t, c.PeakSeverity, g.PeakSeverity)
			require.Equal(t, c.Seq, g.Seq)
			require.Equal(t, "called them", g.Note)
			require.Equal(t, "maria", g.AcknowledgedBy)
			return nil
		})

		unknown := SampleCase("deal_stall:deal-8", now)
		err := d.Update(t.Context(), func(tx proactive.DeskTx) error { return tx.RefreshCases(t.Context(), []proactive.Case{unknown}) })
		require.Equal(t, proactive.ENOTFOUND, proactive.ErrorCode(err), "%v", err)
	})

	t.Run("inhibited_by of the unresolved cases of one type", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		d1 := SampleCase("deal_stall:deal-1", now)
		d2 := SampleCase("deal_stall:deal-2", now)
		d2.State, d2.ResolvedAt, d2.ResolveReason = proactive.CaseResolved, tp(now), proactive.ResolveCleared
		h := SampleCase("health_drop:a@x.com", now)
		update(t, d, func(tx proactive.DeskTx) error { return tx.InsertCases(t.Context(), []proactive.Case{d1, d2, h}) })
		update(t, d, func(tx proactive.DeskTx) error {
			return tx.SetInhibitedBy(t.Context(), proactive.DealStall, "sync_fail:hubspot_rate_limit")
		})
		got := map[string]string{}
		view(t, d, func(tx proactive.DeskTx) error {
			cs, err := tx.CasesByID(t.Context(), []string{d1.ID, d2.ID, h.ID})
			require.NoError(t, err)
			for _, c := range cs {
				got[c.Key] = c.InhibitedBy
			}
			return nil
		})
		require.Equal(t, map[string]string{"deal_stall:deal-1": "sync_fail:hubspot_rate_limit", "deal_stall:deal-2": "", "health_drop:a@x.com": ""}, got)
		update(t, d, func(tx proactive.DeskTx) error { return tx.SetInhibitedBy(t.Context(), proactive.DealStall, "") })
		view(t, d, func(tx proactive.DeskTx) error {
			cs, err := tx.CasesByID(t.Context(), []string{d1.ID})
			require.NoError(t, err)
			require.Empty(t, cs[0].InhibitedBy)
			return nil
		})
	})

	t.Run("many cases in one call", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		var cs []proactive.Case
		var keys, ids []string
		for i := range 2500 {
			c := SampleCase(fmt.Sprintf("response_delay:lead-%d", i), now)
			c.Type = proactive.ResponseDelay
			c.Urgency = i % 100
			cs = append(cs, c)
			keys = append(keys, c.Key)
			ids = append(ids, c.ID)
		}
		update(t, d, func(tx proactive.DeskTx) error { return tx.InsertCases(t.Context(), cs) })
		for i := range cs {
			cs[i].Urgency++
		}
		update(t, d, func(tx proactive.DeskTx) error {
			if err := tx.UpdateCases(t.Context(), cs); err != nil {
				return err
			}
			return tx.TouchCases(t.Context(), ids, now.Add(time.Hour))
		})
		view(t, d, func(tx proactive.DeskTx) error {
			got, err := tx.UnresolvedCases(t.Context(), keys)
			require.NoError(t, err)
			require.Len(t, got, len(cs))
			for _, c := range got {
				require.True(t, c.LastSeenAt.Equal(now.Add(time.Hour)))
			}
			byID, err := tx.CasesByID(t.Context(), ids)
			require.NoError(t, err)
			require.Len(t, byID, len(cs))
			sum := 0
			for _, c := range byID {
				sum += c.Urgency
			}
			require.Equal(t, 2500*99/2+2500, sum)
			return nil
		})
	})
}

func testDeskCaseQueries(t *testing.T, open deskOpener) {
	t.Parallel()
	d := open(t)
	now := Now()
	mk := func(key string, urgency int, opened time.Duration, state proactive.CaseState, owner string) proactive.Case {
		c := SampleCase(key, now.Add(opened))
		c.Urgency, c.State, c.Owner = urgency, state, owner
		c.LastSeenAt = now.Add(opened)
		switch state {
		case proactive.CaseResolved:
			c.ResolvedAt, c.ResolveReason = tp(now.Add(opened+time.Hour)), proactive.ResolveManual
		case proactive.CaseSnoozed:
			c.SnoozedUntil = tp(now.Add(opened + 24*time.Hour))
		}
		return c
	}
	cs := []proactive.Case{
		mk("health_drop:jane@x.com", 90, 0, proactive.CaseOpen, "Ann"),
		mk("health_drop:bob@x.com", 90, -time.Hour, proactive.CaseAcknowledged, "ann"),
		mk("deal_stall:deal-7", 60, -2*time.Hour, proactive.CaseSnoozed, "Bo"),
		mk("sync_fail:hubspot_rate_limit", 95, -3*time.Hour, proactive.CaseResolved, ""),
		mk("response_delay:lead-3", 50, -4*time.Hour, proactive.CaseOpen, ""),
	}
	cs[0].Label = "Jane Doe (jane@x.com)"
	update(t, d, func(tx proactive.DeskTx) error { return tx.InsertCases(t.Context(), cs) })
	view(t, d, func(tx proactive.DeskTx) error {
		counts, err := tx.CountCases(t.Context())
		require.NoError(t, err)
		got := map[string]int{}
		for _, c := range counts {
			got[string(c.Type)+"/"+string(c.State)] += c.Count
		}
		require.Equal(t, map[string]int{"health_drop/open": 1, "health_drop/acknowledged": 1, "deal_stall/snoozed": 1,
			"sync_fail/resolved": 1, "response_delay/open": 1}, got)
		open, err := tx.CountUnresolvedCases(t.Context())
		require.NoError(t, err)
		require.Equal(t, 4, open, "open, acknowledged and snoozed; not resolved")
		ids, err := tx.UnresolvedCaseIDs(t.Context(), []string{cs[0].ID, cs[3].ID, uuid.NewString(), cs[4].ID})
		require.NoError(t, err)
		require.ElementsMatch(t, []string{cs[0].ID, cs[4].ID}, ids, "unknown and resolved ids left out")
		return nil
	})
	keys := func(q proactive.CaseQuery) []string {
		var out []string
		view(t, d, func(tx proactive.DeskTx) error {
			got, err := tx.FindCases(t.Context(), q)
			require.NoError(t, err)
			for _, c := range got {
				out = append(out, c.Key)
			}
			return nil
		})
		return out
	}
	for _, tc := range []struct {
		name string
		q    proactive.CaseQuery
		want []string
	}{
		{"all, by urgency then opened_at then key", proactive.CaseQuery{}, []string{"sync_fail:hubspot_rate_limit", "health_drop:bob@x.com", "health_drop:jane@x.com", "deal_stall:deal-7", "response_delay:lead-3"}},
		{"unresolved", proactive.CaseQuery{Unresolved: true}, []string{"health_drop:bob@x.com", "health_drop:jane@x.com", "deal_stall:deal-7", "response_delay:lead-3"}},
		{"states", proactive.CaseQuery{States: []proactive.CaseState{proactive.CaseOpen, proactive.CaseSnoozed}}, []string{"health_drop:jane@x.com", "deal_stall:deal-7", "response_delay:lead-3"}},
		{"types", proactive.CaseQuery{Types: []proactive.AnomalyType{proactive.HealthDrop}}, []string{"health_drop:bob@x.com", "health_drop:jane@x.com"}},
		{"owner ignoring case", proactive.CaseQuery{Owner: "ANN"}, []string{"health_drop:bob@x.com", "health_drop:jane@x.com"}},
		{"search key", proactive.CaseQuery{Search: "HUBSPOT"}, []string{"sync_fail:hubspot_rate_limit"}},
		{"search label", proactive.CaseQuery{Search: "jane doe"}, []string{"health_drop:jane@x.com"}},
		{"search is literal", proactive.CaseQuery{Search: "%"}, nil},
		{"key", proactive.CaseQuery{Key: "deal_stall:deal-7"}, []string{"deal_stall:deal-7"}},
		{"id prefix", proactive.CaseQuery{IDPrefix: cs[4].ID[:8]}, []string{"response_delay:lead-3"}},
		{"snoozed due", proactive.CaseQuery{SnoozedUntilAtMost: tp(now.Add(22 * time.Hour))}, []string{"deal_stall:deal-7"}},
		{"snoozed not due", proactive.CaseQuery{SnoozedUntilAtMost: tp(now.Add(21 * time.Hour))}, nil},
		{"last seen at most", proactive.CaseQuery{Unresolved: true, LastSeenAtMost: tp(now.Add(-2 * time.Hour))}, []string{"deal_stall:deal-7", "response_delay:lead-3"}},
		{"resolved since", proactive.CaseQuery{ResolvedSince: tp(now.Add(-3 * time.Hour))}, []string{"sync_fail:hubspot_rate_limit"}},
		{"resolved since, strictly after", proactive.CaseQuery{ResolvedSince: tp(now.Add(-2 * time.Hour))}, nil},
		{"limit", proactive.CaseQuery{Limit: 2}, []string{"sync_fail:hubspot_rate_limit", "health_drop:bob@x.com"}},
	} {
		require.Equal(t, tc.want, keys(tc.q), tc.name)
	}
}

func testDeskEvents(t *testing.T, open deskOpener) {
	t.Parallel()
	d := open(t)
	now := Now()
	a := SampleCase("health_drop:a@x.com", now)
	b := SampleCase("health_drop:b@x.com", now)
	ev := func(c proactive.Case, seq int, kind proactive.EventKind, actor, note string) proactive.CaseEvent {
		return proactive.CaseEvent{ID: uuid.NewString(), CaseID: c.ID, Seq: seq, At: now.Add(time.Duration(seq) * time.Minute),
			Kind: kind, Actor: actor, Severity: proactive.SeverityHigh, Note: note}
	}
	evs := []proactive.CaseEvent{
		ev(a, 2, proactive.EventAcknowledged, "ann", "calling"),
		ev(b, 1, proactive.EventOpened, "ptd-proactive", ""),
		ev(a, 1, proactive.EventOpened, "ptd-proactive", ""),
		ev(a, 3, proactive.EventCommented, "ann", "left a voicemail — “quoted”"),
	}
	update(t, d, func(tx proactive.DeskTx) error {
		if err := tx.InsertCases(t.Context(), []proactive.Case{a, b}); err != nil {
			return err
		}
		return tx.AddCaseEvents(t.Context(), evs)
	})
	view(t, d, func(tx proactive.DeskTx) error {
		got, err := tx.CaseEvents(t.Context(), []string{a.ID})
		require.NoError(t, err)
		require.Len(t, got, 3)
		for i, want := range []proactive.CaseEvent{evs[2], evs[0], evs[3]} {
			require.True(t, want.At.Equal(got[i].At))
			got[i].At = want.At
			require.Equal(t, want, got[i])
		}
		both, err := tx.CaseEvents(t.Context(), []string{a.ID, b.ID})
		require.NoError(t, err)
		require.Len(t, both, 4)
		none, err := tx.CaseEvents(t.Context(), []string{uuid.NewString()})
		require.NoError(t, err)
		require.Empty(t, none)
		return nil
	})
}

func testDeskTransactions(t *testing.T, open deskOpener) {
	t.Parallel()
	now := Now()
	t.Run("an error rolls back", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		c := SampleCase("health_drop:a@x.com", now)
		boom := errors.New("boom")
		err := d.Update(t.Context(), func(tx proactive.DeskTx) error {
			if err := tx.InsertCases(t.Context(), []proactive.Case{c}); err != nil {
				return err
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		view(t, d, func(tx proactive.DeskTx) error {
			got, err := tx.CasesByID(t.Context(), []string{c.ID})
			require.NoError(t, err)
			require.Empty(t, got, "nothing half-written")
			return nil
		})
	})
	t.Run("ErrRollback rolls back without an error", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		c := SampleCase("health_drop:a@x.com", now)
		require.NoError(t, d.Update(t.Context(), func(tx proactive.DeskTx) error {
			if err := tx.InsertCases(t.Context(), []proactive.Case{c}); err != nil {
				return err
			}
			got, err := tx.CasesByID(t.Context(), []string{c.ID})
			require.NoError(t, err)
			require.Len(t, got, 1, "the transaction sees its own writes")
			return proactive.ErrRollback
		}))
		view(t, d, func(tx proactive.DeskTx) error {
			got, err := tx.CasesByID(t.Context(), []string{c.ID})
			require.NoError(t, err)
			require.Empty(t, got)
			return nil
		})
	})
	t.Run("a view cannot write", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		err := d.View(t.Context(), func(tx proactive.DeskTx) error {
			return tx.InsertCases(t.Context(), []proactive.Case{SampleCase("health_drop:a@x.com", now)})
		})
		require.Error(t, err)
		view(t, d, func(tx proactive.DeskTx) error {
			got, err := tx.FindCases(t.Context(), proactive.CaseQuery{})
			require.NoError(t, err)
			require.Empty(t, got)
			return nil
		})
	})
	t.Run("a cancelled context", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := d.Update(ctx, func(tx proactive.DeskTx) error { return nil })
		require.Error(t, err)
	})
}

func testDeskSilences(t *testing.T, open deskOpener) {
	t.Parallel()
	d := open(t)
	now := Now()
	mk := func(match string, start, end time.Duration) proactive.Silence {
		return proactive.Silence{ID: uuid.NewString(), Match: match, Type: proactive.HealthDrop, Owner: "Ann",
			StartsAt: now.Add(start), EndsAt: now.Add(end), CreatedBy: "cli", Reason: "holiday", CreatedAt: now}
	}
	ended := mk("old@x.com", -48*time.Hour, -24*time.Hour)
	active := mk("jane@x.com", -time.Hour, 24*time.Hour)
	future := mk("*@acme.com", 24*time.Hour, 48*time.Hour)
	future.Type, future.Owner = "", ""
	update(t, d, func(tx proactive.DeskTx) error {
		for _, s := range []proactive.Silence{future, ended, active} {
			if err := tx.InsertSilence(t.Context(), s); err != nil {
				return err
			}
		}
		return nil
	})
	ids := func(q proactive.SilenceQuery) []string {
		var out []string
		view(t, d, func(tx proactive.DeskTx) error {
			got, err := tx.FindSilences(t.Context(), q)
			require.NoError(t, err)
			for _, s := range got {
				out = append(out, s.ID)
			}
			return nil
		})
		return out
	}
	require.Equal(t, []string{ended.ID, active.ID, future.ID}, ids(proactive.SilenceQuery{}), "all, by starts_at")
	require.Equal(t, []string{active.ID, future.ID}, ids(proactive.SilenceQuery{EndsAfter: now}), "not yet ended, started or not")
	require.Equal(t, []string{future.ID}, ids(proactive.SilenceQuery{IDPrefix: future.ID[:6]}))

	view(t, d, func(tx proactive.DeskTx) error {
		got, err := tx.FindSilences(t.Context(), proactive.SilenceQuery{IDPrefix: active.ID})
		require.NoError(t, err)
		require.Len(t, got, 1)
		s := got[0]
		require.True(t, s.StartsAt.Equal(active.StartsAt) && s.EndsAt.Equal(active.EndsAt) && s.CreatedAt.Equal(active.CreatedAt))
		s.StartsAt, s.EndsAt, s.CreatedAt = active.StartsAt, active.EndsAt, active.CreatedAt
		require.Equal(t, active, s)
		return nil
	})

	update(t, d, func(tx proactive.DeskTx) error { return tx.SetSilenceEnd(t.Context(), active.ID, now) })
	require.Equal(t, []string{future.ID}, ids(proactive.SilenceQuery{EndsAfter: now}))
	err := d.Update(t.Context(), func(tx proactive.DeskTx) error { return tx.SetSilenceEnd(t.Context(), uuid.NewString(), now) })
	require.Equal(t, proactive.ENOTFOUND, proactive.ErrorCode(err), err)
}

// groupAlert is a ptd-proactive alert row with a dedup key of type and day.
func groupAlert(typ proactive.AnomalyType, entity, day string, created time.Time, prio proactive.Severity) proactive.Alert {
	exp := created.Add(proactive.AlertTTL)
	return proactive.Alert{
		InsightType: proactive.InsightType, Priority: prio, Title: "t " + entity, Content: "c", Summary: "s",
		ActionItems:      []proactive.ActionItem{{Action: "call", Priority: prio, UrgencyScore: 80}},
		AffectedEntities: proactive.AffectedEntities{Type: typ, Count: 1, Entities: []string{entity}, UrgencyScore: 80},
		SourceAgent:      proactive.SourceAgent,
		SourceData:       map[string]any{"case_ids": []any{"c1"}, "written_at": created.Format(time.RFC3339Nano)},
		DedupKey:         string(typ) + "_" + entity + "_" + day, ExpiresAt: &exp, CreatedAt: created,
	}
}

func testDeskAlerts(t *testing.T, open deskOpener) {
	t.Parallel()
	now := Now()
	day := now.Format(time.DateOnly)
	h := time.Hour
	t.Run("find the group's alert of the day", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		ids := map[string]string{}
		rows := []struct {
			name string
			a    proactive.Alert
		}{
			{"old", groupAlert(proactive.HealthDrop, "a@x.com", day, now.Add(-3*h), proactive.SeverityHigh)},
			{"newest", groupAlert(proactive.HealthDrop, "b@x.com", day, now.Add(-h), proactive.SeverityMedium)},
			{"other type", groupAlert(proactive.DealStall, "Acme", day, now.Add(-30*time.Minute), proactive.SeverityHigh)},
			{"other day", groupAlert(proactive.HealthDrop, "c@x.com", "2025-12-09", now.Add(-20*time.Minute), proactive.SeverityHigh)},
			{"future", groupAlert(proactive.HealthDrop, "d@x.com", day, now.Add(h), proactive.SeverityHigh)},
		}
		foreign := groupAlert(proactive.HealthDrop, "e@x.com", day, now.Add(-10*time.Minute), proactive.SeverityHigh)
		foreign.SourceAgent = "edge-function"
		update(t, d, func(tx proactive.DeskTx) error {
			for _, r := range append(rows, struct {
				name string
				a    proactive.Alert
			}{"foreign", foreign}) {
				id, err := tx.InsertAlert(t.Context(), r.a)
				if err != nil {
					return err
				}
				require.NotEmpty(t, id)
				ids[r.name] = id
			}
			return nil
		})
		find := func(typ proactive.AnomalyType, after, upTo time.Time) (string, bool) {
			var id string
			var ok bool
			view(t, d, func(tx proactive.DeskTx) error {
				a, found, err := tx.FindGroupAlert(t.Context(), proactive.GroupAlertQuery{Type: typ, Day: day, After: after, UpTo: upTo})
				require.NoError(t, err)
				id, ok = a.ID, found
				return nil
			})
			return id, ok
		}
		id, ok := find(proactive.HealthDrop, now.Add(-24*h), now)
		require.True(t, ok)
		require.Equal(t, ids["newest"], id)
		id, _ = find(proactive.HealthDrop, now.Add(-24*h), now.Add(-2*h))
		require.Equal(t, ids["old"], id, "created_at at most UpTo")
		_, ok = find(proactive.HealthDrop, now.Add(-h), now)
		require.False(t, ok, "created_at strictly after After")
		id, _ = find(proactive.DealStall, now.Add(-24*h), now)
		require.Equal(t, ids["other type"], id)
		_, ok = find(proactive.SyncFail, now.Add(-24*h), now)
		require.False(t, ok)
	})

	t.Run("insert, rewrite, open, close, dismiss", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		a := groupAlert(proactive.DealStall, "Acme Renewal", day, now.Add(-h), proactive.SeverityMedium)
		var id string
		update(t, d, func(tx proactive.DeskTx) error {
			var err error
			id, err = tx.InsertAlert(t.Context(), a)
			return err
		})
		get := func() proactive.Alert {
			var out proactive.Alert
			view(t, d, func(tx proactive.DeskTx) error {
				var err error
				out, err = tx.GetAlert(t.Context(), id)
				return err
			})
			return out
		}
		got := get()
		require.Equal(t, a.DedupKey, got.DedupKey)
		require.Equal(t, proactive.SeverityMedium, got.Priority)
		require.Nil(t, got.ResolvedAt)
		require.Equal(t, []any{"c1"}, got.SourceData["case_ids"])

		up := a
		up.ID = id
		up.Priority, up.Title, up.Summary, up.Content = proactive.SeverityCritical, "2 Deals Stalled in Pipeline", "s2", "c2"
		up.ActionItems = []proactive.ActionItem{{Action: "a1"}, {Action: "a2"}}
		up.AffectedEntities.Count = 2
		up.SourceData = map[string]any{"case_ids": []any{"c1", "c2"}, "written_at": now.Format(time.RFC3339Nano)}
		exp := now.Add(proactive.AlertTTL)
		up.ExpiresAt, up.IsDismissed = &exp, false
		up.DedupKey, up.CreatedAt = "changed", now // never rewritten
		update(t, d, func(tx proactive.DeskTx) error {
			if err := tx.SetAlertDismissed(t.Context(), id); err != nil {
				return err
			}
			return tx.RewriteAlert(t.Context(), up)
		})
		got = get()
		require.Equal(t, proactive.SeverityCritical, got.Priority)
		require.Equal(t, "2 Deals Stalled in Pipeline", got.Title)
		require.Equal(t, "c2", got.Content)
		require.Len(t, got.ActionItems, 2)
		require.Equal(t, 2, got.AffectedEntities.Count)
		require.Equal(t, []any{"c1", "c2"}, got.SourceData["case_ids"])
		require.True(t, got.ExpiresAt.Equal(exp))
		require.False(t, got.IsDismissed, "a rewrite un-dismisses")
		require.Equal(t, a.DedupKey, got.DedupKey, "dedup_key kept")
		require.True(t, got.CreatedAt.Equal(a.CreatedAt), "created_at kept")

		openIDs := func(at time.Time) []string {
			var out []string
			view(t, d, func(tx proactive.DeskTx) error {
				as, err := tx.OpenAlerts(t.Context(), at)
				require.NoError(t, err)
				for _, a := range as {
					out = append(out, a.ID)
				}
				return nil
			})
			return out
		}
		require.Equal(t, []string{id}, openIDs(now))
		require.Empty(t, openIDs(exp), "expired at expires_at")
		update(t, d, func(tx proactive.DeskTx) error { return tx.CloseAlert(t.Context(), id, now) })
		got = get()
		require.True(t, got.ResolvedAt.Equal(now))
		require.True(t, got.ExpiresAt.Equal(now), "expires_at = min(expires_at, now)")
		require.Empty(t, openIDs(now.Add(-time.Minute)), "resolved alerts are not open")

		// Closing at a time after expires_at keeps expires_at.
		b := groupAlert(proactive.SyncFail, "x", day, now.Add(-50*h), proactive.SeverityHigh)
		var bid string
		update(t, d, func(tx proactive.DeskTx) error {
			var err error
			if bid, err = tx.InsertAlert(t.Context(), b); err != nil {
				return err
			}
			return tx.CloseAlert(t.Context(), bid, now)
		})
		view(t, d, func(tx proactive.DeskTx) error {
			got, err := tx.GetAlert(t.Context(), bid)
			require.NoError(t, err)
			require.True(t, got.ExpiresAt.Equal(*b.ExpiresAt))
			require.True(t, got.ResolvedAt.Equal(now))
			return nil
		})

		err := d.View(t.Context(), func(tx proactive.DeskTx) error { _, err := tx.GetAlert(t.Context(), uuid.NewString()); return err })
		require.Equal(t, proactive.ENOTFOUND, proactive.ErrorCode(err), err)
		err = d.View(t.Context(), func(tx proactive.DeskTx) error { _, err := tx.GetAlert(t.Context(), ""); return err })
		require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err), err)
		err = d.Update(t.Context(), func(tx proactive.DeskTx) error { return tx.SetAlertDismissed(t.Context(), uuid.NewString()) })
		require.Equal(t, proactive.ENOTFOUND, proactive.ErrorCode(err), err)
	})

	t.Run("another agent's row is not the desk's", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		theirs := groupAlert(proactive.HealthDrop, "e@x.com", day, now.Add(-h), proactive.SeverityHigh)
		theirs.SourceAgent = "edge-function"
		var id string
		update(t, d, func(tx proactive.DeskTx) error {
			var err error
			id, err = tx.InsertAlert(t.Context(), theirs)
			return err
		})
		for name, fn := range map[string]func(tx proactive.DeskTx) error{
			"get":     func(tx proactive.DeskTx) error { _, err := tx.GetAlert(t.Context(), id); return err },
			"dismiss": func(tx proactive.DeskTx) error { return tx.SetAlertDismissed(t.Context(), id) },
			"close":   func(tx proactive.DeskTx) error { return tx.CloseAlert(t.Context(), id, now) },
			"rewrite": func(tx proactive.DeskTx) error { a := theirs; a.ID = id; return tx.RewriteAlert(t.Context(), a) },
		} {
			err := d.Update(t.Context(), fn)
			require.Equal(t, proactive.ENOTFOUND, proactive.ErrorCode(err), "%s: %v", name, err)
		}
		view(t, d, func(tx proactive.DeskTx) error {
			open, err := tx.OpenAlerts(t.Context(), now)
			require.NoError(t, err)
			require.Empty(t, open, "only ptd-proactive alerts are open")
			return nil
		})
	})

	t.Run("a failed lookup leaves the transaction usable", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		c := SampleCase("health_drop:a@x.com", now)
		update(t, d, func(tx proactive.DeskTx) error {
			for _, id := range []string{"not-an-id", uuid.NewString(), "12abc"} {
				_, err := tx.GetAlert(t.Context(), id)
				require.Error(t, err, id)
				require.Contains(t, []string{proactive.EINVALID, proactive.ENOTFOUND}, proactive.ErrorCode(err), err)
				require.Error(t, tx.SetAlertDismissed(t.Context(), id), id)
			}
			return tx.InsertCases(t.Context(), []proactive.Case{c})
		})
		view(t, d, func(tx proactive.DeskTx) error {
			got, err := tx.CasesByID(t.Context(), []string{c.ID, "not-an-id"})
			require.NoError(t, err)
			require.Len(t, got, 1, "committed; a malformed id names no case")
			return nil
		})
	})
}

func testDeskOutbox(t *testing.T, open deskOpener) {
	t.Parallel()
	d := open(t)
	now := Now()
	n := func(key, event string) proactive.Notification {
		return proactive.Notification{AlertID: "", Channel: proactive.ChannelWebhook, Event: event, IdempotencyKey: key,
			Priority: proactive.SeverityHigh, Status: proactive.NotificationPending, NextAttemptAt: now, CreatedAt: now,
			Payload: &proactive.NotificationPayload{Cases: []proactive.ResolvedCase{{ID: "c1", Key: "health_drop:a@x.com", Label: "A",
				Severity: proactive.SeverityHigh, ResolvedAt: now, ResolveReason: proactive.ResolveCleared}}}}
	}
	update(t, d, func(tx proactive.DeskTx) error {
		return tx.Enqueue(t.Context(), []proactive.Notification{n("k1", proactive.EventResolve), n("k1", proactive.EventResolve), n("k2", proactive.EventResolve)})
	})
	update(t, d, func(tx proactive.DeskTx) error {
		return tx.Enqueue(t.Context(), []proactive.Notification{n("k2", proactive.EventResolve)})
	})
	if ns, ok := d.(proactive.NotificationStore); ok {
		// A store's outbox hands the message back as queued.
		update(t, d, func(tx proactive.DeskTx) error {
			m := n("k3", proactive.EventUpdate)
			m.AlertID, m.Recipient, m.ScanID = "alert-1", "Coach Ann", "scan-1"
			m.Payload = &proactive.NotificationPayload{NewEntities: []string{"Jane Doe (jane@x.com)"}}
			return tx.Enqueue(t.Context(), []proactive.Notification{m})
		})
		list, err := ns.ListNotifications(t.Context(), proactive.NotificationFilter{})
		require.NoError(t, err)
		require.Len(t, list, 3, "k1 and k2 once each, and k3")
		got := map[string]proactive.Notification{}
		for _, m := range list {
			got[m.IdempotencyKey] = m
			require.NotEmpty(t, m.ID)
			require.Equal(t, proactive.NotificationPending, m.Status)
			require.True(t, m.NextAttemptAt.Equal(now) && m.CreatedAt.Equal(now))
		}
		require.Equal(t, proactive.EventResolve, got["k1"].Event)
		require.Empty(t, got["k1"].AlertID)
		require.Equal(t, n("k1", "").Payload, got["k1"].Payload)
		k3 := got["k3"]
		require.Equal(t, proactive.EventUpdate, k3.Event)
		require.Equal(t, "alert-1", k3.AlertID)
		require.Equal(t, "Coach Ann", k3.Recipient)
		require.Equal(t, "scan-1", k3.ScanID)
		require.Equal(t, []string{"Jane Doe (jane@x.com)"}, k3.Payload.NewEntities)
		claimed, err := ns.ClaimNotifications(t.Context(), proactive.ClaimParams{Now: now, Limit: 10, Lease: time.Minute})
		require.NoError(t, err)
		require.Len(t, claimed, 3, "a claim reads them too")
		for _, m := range claimed {
			require.Equal(t, got[m.IdempotencyKey].Payload, m.Payload)
			require.Equal(t, got[m.IdempotencyKey].Event, m.Event)
		}
	}

	mk := func(key string, reason string, resolved time.Duration) proactive.Case {
		c := SampleCase(key, now.Add(-48*time.Hour))
		c.State, c.ResolvedAt, c.ResolveReason = proactive.CaseResolved, tp(now.Add(resolved)), reason
		return c
	}
	m1 := mk("health_drop:a@x.com", proactive.ResolveManual, -time.Hour)
	m2 := mk("health_drop:b@x.com", proactive.ResolveManual, -2*time.Hour)
	old := mk("health_drop:c@x.com", proactive.ResolveManual, -10*24*time.Hour)
	cleared := mk("health_drop:d@x.com", proactive.ResolveCleared, -time.Hour)
	update(t, d, func(tx proactive.DeskTx) error {
		return tx.InsertCases(t.Context(), []proactive.Case{m1, m2, old, cleared})
	})
	pending := func(channel string) []string {
		var out []string
		view(t, d, func(tx proactive.DeskTx) error {
			cs, err := tx.PendingManualResolves(t.Context(), channel, now.Add(-7*24*time.Hour))
			require.NoError(t, err)
			for _, c := range cs {
				out = append(out, c.Key)
			}
			return nil
		})
		return out
	}
	require.Equal(t, []string{m2.Key, m1.Key}, pending(proactive.ChannelWebhook), "by resolved_at; only manual, only since")
	update(t, d, func(tx proactive.DeskTx) error {
		return tx.RecordResolveNotices(t.Context(), proactive.ChannelWebhook, []string{m2.ID})
	})
	require.Equal(t, []string{m1.Key}, pending(proactive.ChannelWebhook))
	require.Equal(t, []string{m2.Key, m1.Key}, pending(proactive.ChannelSlack), "notices are per channel")
}

// testDeskConcurrentOpen: many concurrent transactions on one desk each
// open the key's case if it has none, or record an event on it: the desk
// lock makes them take turns (RaceDesks).
func testDeskConcurrentOpen(t *testing.T, open deskOpener) {
	t.Parallel()
	RaceDesks(t, open(t))
}

// RaceDesks runs concurrent Update transactions over desks that share one
// database (separately opened handles stand for separate processes): each
// transaction reads a key's unresolved case and opens it when there is none
// (seq 1, event 1), else records the next event on it (seq + 1) and writes
// it back. Only if the desk lock makes the transactions take turns does
// every key end with exactly one unresolved case whose seq counts every
// transaction and whose events are 1…n; any error fails the test.
func RaceDesks(t *testing.T, desks ...proactive.Desk) {
	t.Helper()
	now := Now()
	keys := []string{"health_drop:race@x.com", "deal_stall:deal-race"}
	const perDesk, rounds = 3, 2
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, len(desks)*perDesk*rounds*len(keys))
	for _, d := range desks {
		for w := range perDesk {
			wg.Go(func() {
				<-start
				ctx := context.Background()
				for r := range rounds {
					key := keys[(w+r)%len(keys)]
					errs <- d.Update(ctx, func(tx proactive.DeskTx) error {
						got, err := tx.UnresolvedCases(ctx, []string{key})
						if err != nil {
							return err
						}
						if len(got) == 0 {
							c := SampleCase(key, now)
							ev := proactive.CaseEvent{ID: uuid.NewString(), CaseID: c.ID, Seq: 1, At: now, Kind: proactive.EventOpened, Actor: proactive.ActorScan}
							if err := tx.InsertCases(ctx, []proactive.Case{c}); err != nil {
								return err
							}
							return tx.AddCaseEvents(ctx, []proactive.CaseEvent{ev})
						}
						c := got[0]
						c.Seq++
						ev := proactive.CaseEvent{ID: uuid.NewString(), CaseID: c.ID, Seq: c.Seq, At: now, Kind: proactive.EventCommented, Actor: "race"}
						if err := tx.AddCaseEvents(ctx, []proactive.CaseEvent{ev}); err != nil {
							return err
						}
						return tx.UpdateCases(ctx, []proactive.Case{c})
					})
				}
			})
		}
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	view(t, desks[0], func(tx proactive.DeskTx) error {
		total := 0
		for _, key := range keys {
			got, err := tx.FindCases(t.Context(), proactive.CaseQuery{Key: key})
			require.NoError(t, err)
			require.Len(t, got, 1, "one case for %s", key)
			evs, err := tx.CaseEvents(t.Context(), []string{got[0].ID})
			require.NoError(t, err)
			require.Len(t, evs, got[0].Seq, "an event per transaction on %s", key)
			for i, e := range evs {
				require.Equal(t, i+1, e.Seq)
			}
			total += got[0].Seq
		}
		require.Equal(t, len(desks)*perDesk*rounds, total, "every transaction saw the one before")
		return nil
	})
}
