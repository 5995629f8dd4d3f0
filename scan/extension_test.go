package scan_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/httpapi"
	"github.com/ptd-agents/ptd-proactive/rules"
	"github.com/ptd-agents/ptd-proactive/scan"
	"github.com/ptd-agents/ptd-proactive/sqlite"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

// A fifth check, as a user of the registry would add one: one value, its
// typed details, and one read method on the store. Nothing else in the
// product names it.

const invoiceOverdue proactive.AnomalyType = "invoice_overdue"

type invoice struct {
	ID     string
	Client string
	Due    time.Time
}

// invoiceReader is the one read method the check needs of a store.
type invoiceReader interface {
	OverdueInvoices(ctx context.Context, now time.Time) ([]invoice, error)
}

type invoiceDetails struct {
	DaysOverdue int    `json:"days_overdue"`
	InvoiceID   string `json:"invoice_id"`
}

func (invoiceDetails) DetailsType() proactive.AnomalyType { return invoiceOverdue }

func (invoiceDetails) RevenueAtRisk() float64 { return 0 }

func invoiceCheck() proactive.Check {
	return proactive.Check{
		Type: invoiceOverdue, Monitor: "checkOverdueInvoices", BreakdownKey: "invoices_overdue",
		Label: "Invoice overdue", Noun: "overdue invoice", Table: "invoices", Columns: []string{"id", "client", "due"},
		New: func(env proactive.CheckEnv) proactive.Detector {
			return proactive.SourceDetector(func(ctx context.Context, src any, emit proactive.Emitter) (proactive.Skipped, error) {
				r, ok := src.(invoiceReader)
				if !ok {
					return nil, proactive.Errorf(proactive.EINTERNAL, "this store cannot read invoices")
				}
				invs, err := r.OverdueInvoices(ctx, env.Now)
				if err != nil {
					return nil, err
				}
				for _, inv := range invs {
					days := int(env.Now.Sub(inv.Due) / (24 * time.Hour))
					sev := proactive.SeverityMedium
					if days >= 30 {
						sev = proactive.SeverityCritical
					}
					err := emit.Anomaly(proactive.Anomaly{
						Type: invoiceOverdue, Severity: sev, Entity: inv.Client + " invoice " + inv.ID, EntityKey: "inv-" + inv.ID,
						Key: "inv-" + inv.ID, Details: invoiceDetails{DaysOverdue: days, InvoiceID: inv.ID}, Metric: float64(days),
						RecommendedAction: "Call " + inv.Client + " about invoice " + inv.ID + ".",
						UrgencyScore:      int(sev.BaseUrgency()) + min(days/3, 10), DetectedAt: env.Now,
					})
					if err != nil {
						return nil, err
					}
				}
				return nil, nil
			})
		},
		Text: proactive.CheckText{
			Title: func(n int, p *proactive.Anomaly) string {
				if n == 1 {
					return "Invoice Overdue: " + p.Entity
				}
				return fmt.Sprintf("%d Invoices Overdue", n)
			},
			Many:     func(n int) string { return fmt.Sprintf("%d invoices overdue", n) },
			Describe: func(a *proactive.Anomaly) string { return a.Entity + " is overdue." },
			Figure:   func(a *proactive.Anomaly) string { return fmt.Sprintf("%d days overdue", int(a.Metric)) },
		},
	}
}

// invoiceStore is the SQLite store with the check's one read method.
type invoiceStore struct {
	*sqlite.DB
	invoices []invoice
}

func (s *invoiceStore) OverdueInvoices(_ context.Context, now time.Time) ([]invoice, error) {
	var out []invoice
	for _, inv := range s.invoices {
		if inv.Due.Before(now) {
			out = append(out, inv)
		}
	}
	return out, nil
}

// TestAFifthCheckFlowsThroughScanAlertAndAPI registers a fake fifth check
// and follows it from the scan to its cases, its stored alert and the
// API's filters and documentation, touching no other file.
func TestAFifthCheckFlowsThroughScanAlertAndAPI(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ext.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.Migrate(ctx)
	require.NoError(t, err)
	now := storetest.Now()
	st := &invoiceStore{DB: db, invoices: []invoice{
		{ID: "1001", Client: "Acme Gym", Due: now.Add(-40 * 24 * time.Hour)},
		{ID: "1002", Client: "Bloom Yoga", Due: now.Add(-5 * 24 * time.Hour)},
		{ID: "1003", Client: "Later Ltd", Due: now.Add(24 * time.Hour)},
	}}
	reg, err := proactive.NewRegistry(append(rules.Checks(), invoiceCheck())...)
	require.NoError(t, err)

	sc, err := scan.New(scan.Options{Store: st, Registry: reg, Checks: append(reg.Defaults(), invoiceOverdue)})
	require.NoError(t, err)
	res, err := sc.Run(ctx, scan.Params{Now: now, Trigger: "test"})
	require.NoError(t, err)
	require.True(t, res.Success)
	n, ok := res.Breakdown.Get("invoices_overdue")
	require.True(t, ok, "the breakdown has the check's key")
	require.Equal(t, 2, n)
	require.Len(t, res.AlertGroups, 1)
	require.Equal(t, invoiceOverdue, res.AlertGroups[0].Type)
	require.Equal(t, proactive.SeverityCritical, res.AlertGroups[0].Severity)
	require.Equal(t, "2 Invoices Overdue", res.AlertGroups[0].Title)
	require.Equal(t, proactive.Inserted, res.AlertGroups[0].Saved)
	require.Equal(t, 2, res.Cases.Opened)
	require.NoError(t, st.View(ctx, func(tx proactive.DeskTx) error {
		cs, err := tx.UnresolvedCases(ctx, []string{"invoice_overdue:inv-1001"})
		require.NoError(t, err)
		require.Len(t, cs, 1)
		require.Equal(t, "Acme Gym invoice 1001", cs[0].Label)
		require.JSONEq(t, `{"days_overdue":40,"invoice_id":"1001"}`, string(cs[0].Details))
		return nil
	}))

	srv, err := httpapi.New(httpapi.Options{Store: st, Registry: reg, Now: func() time.Time { return now }, Scans: scan.NewGuard(
		func(context.Context, string) (proactive.ScanResult, error) { return res, nil }, scan.GuardOptions{})})
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { srv.Close(); ts.Close() })
	get := func(path string) (int, string) {
		resp, err := http.Get(ts.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	code, body := get("/api/v1/alerts?type=invoice_overdue")
	require.Equal(t, http.StatusOK, code, body)
	var alerts []proactive.Alert
	require.NoError(t, json.Unmarshal([]byte(body), &alerts))
	require.Len(t, alerts, 1)
	require.Equal(t, "2 Invoices Overdue", alerts[0].Title)
	require.Equal(t, "invoice_overdue_inv-1001_2025-12-10", alerts[0].DedupKey)
	code, _ = get("/api/v1/alerts?type=invoice_overdo")
	require.Equal(t, http.StatusBadRequest, code, "an unknown type is still refused")
	_, doc := get("/api/v1/openapi.json")
	require.Contains(t, doc, `"invoice_overdue"`, "the OpenAPI enum lists it")
	_, page := get("/")
	require.True(t, strings.Contains(page, "Invoice overdue"), "the dashboard's type filter labels it")
}

// nanDetails are details that do not encode (JSON has no NaN).
type nanDetails struct {
	Ratio float64 `json:"ratio"`
}

func (nanDetails) DetailsType() proactive.AnomalyType { return invoiceOverdue }

func (nanDetails) RevenueAtRisk() float64 { return 0 }

// TestDetailsThatDoNotEncodeFailTheScan: a check whose anomaly's details
// cannot be written as JSON fails the scan with an error naming the case,
// and nothing is stored — whether the check reads ahead of the desk (a
// file, WAL readers) or the desk runs it (":memory:").
func TestDetailsThatDoNotEncodeFailTheScan(t *testing.T) {
	for name, path := range map[string]string{"read ahead": filepath.Join(t.TempDir(), "ext.db"), "run by the desk": ":memory:"} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			db, err := sqlite.Open(ctx, path)
			require.NoError(t, err)
			t.Cleanup(func() { db.Close() })
			_, err = db.Migrate(ctx)
			require.NoError(t, err)
			now := storetest.Now()
			st := &invoiceStore{DB: db, invoices: []invoice{{ID: "1001", Client: "Acme Gym", Due: now.Add(-40 * 24 * time.Hour)}}}
			check := invoiceCheck()
			inner := check.New
			check.New = func(env proactive.CheckEnv) proactive.Detector {
				d := inner(env)
				return proactive.SourceDetector(func(ctx context.Context, src any, emit proactive.Emitter) (proactive.Skipped, error) {
					return d.Detect(ctx, src, nanEmitter{emit})
				})
			}
			reg, err := proactive.NewRegistry(append(rules.Checks(), check)...)
			require.NoError(t, err)
			sc, err := scan.New(scan.Options{Store: st, Registry: reg, Checks: []proactive.AnomalyType{invoiceOverdue}})
			require.NoError(t, err)
			res, err := sc.Run(ctx, scan.Params{Now: now, Trigger: "test"})
			require.Error(t, err)
			require.False(t, res.Success)
			require.Contains(t, res.Error, "encode the details of invoice_overdue:inv-1001")
			require.NoError(t, st.View(ctx, func(tx proactive.DeskTx) error {
				cs, err := tx.FindCases(ctx, proactive.CaseQuery{})
				require.Empty(t, cs, "nothing stored")
				return err
			}))
		})
	}
}

// nanEmitter gives every anomaly details that do not encode.
type nanEmitter struct{ proactive.Emitter }

func (e nanEmitter) Anomaly(a proactive.Anomaly) error {
	a.Details = nanDetails{Ratio: math.NaN()}
	return e.Emitter.Anomaly(a)
}
