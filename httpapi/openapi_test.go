package httpapi

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// openAPIDoc is the part of an OpenAPI 3 document the test reads.
type openAPIDoc struct {
	OpenAPI    string                                 `json:"openapi"`
	Paths      map[string]map[string]openAPIOperation `json:"paths"`
	Components struct {
		Schemas map[string]any `json:"schemas"`
	} `json:"components"`
}

// openAPIOperation is one operation of the document.
type openAPIOperation struct {
	OperationID string                    `json:"operationId"`
	Responses   map[string]map[string]any `json:"responses"`
	Security    []map[string][]string     `json:"security"`
}

// documentedPrefixes are the paths that belong to the API document.
func documented(path string) bool {
	return strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/functions/") ||
		path == "/healthz" || path == "/readyz" || path == "/metrics"
}

func TestOpenAPIMatchesTheRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{newToken}})
	alert := MustSaveAlert(t, e.store, e.now(), seedAlert{proactive.SeverityHigh, proactive.DealStall, 75, "Doc deal", time.Minute, 1})

	resp := e.do(request{method: http.MethodGet, path: "/api/v1/openapi.json", token: newToken})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var doc openAPIDoc
	decodeJSON(t, resp, &doc)
	require.True(t, strings.HasPrefix(doc.OpenAPI, "3."), doc.OpenAPI)

	// The document lists exactly the API routes the server registers.
	var registered, listed []string
	for _, rt := range e.srv.routes() {
		if documented(rt.path) {
			registered = append(registered, strings.ToLower(rt.method)+" "+rt.path)
		}
	}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			listed = append(listed, method+" "+path)
			require.NotEmpty(t, op.OperationID, "%s %s: every operation has an id (their uniqueness is the validator's)", method, path)
		}
	}
	sort.Strings(registered)
	sort.Strings(listed)
	require.Equal(t, registered, listed)

	// Every documented operation answers on the real handler (no 404 of an
	// unknown endpoint, no 405), with a status the document lists.
	for path, ops := range doc.Paths {
		for method, op := range ops {
			url := strings.ReplaceAll(path, "{id}", alert.ID)
			token := newToken
			if len(op.Security) == 0 {
				token = ""
			}
			if url == "/api/v1/events" {
				continue // a stream: covered by TestEvents
			}
			resp := e.do(request{method: strings.ToUpper(method), path: url, token: token})
			body := readAll(t, resp)
			require.NotEqual(t, http.StatusMethodNotAllowed, resp.StatusCode, "%s %s", method, path)
			require.NotContains(t, body, "no such endpoint", "%s %s", method, path)
			require.Contains(t, op.Responses, strconv.Itoa(resp.StatusCode), "%s %s answered %d, not documented", method, path, resp.StatusCode)

			if len(op.Security) > 0 {
				require.Contains(t, op.Responses, "401")
				anon := e.do(request{method: strings.ToUpper(method), path: url})
				require.Equal(t, http.StatusUnauthorized, anon.StatusCode, "%s %s without a token", method, path)
			} else {
				require.False(t, strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/functions/"),
					"%s %s is documented as public", method, path)
			}
		}
	}

	// The document itself is valid OpenAPI 3 (references resolve, schemas,
	// parameters and operation ids are well formed and unique), as a
	// library that knows the specification judges it.
	raw := readAll(t, e.do(request{method: http.MethodGet, path: "/api/v1/openapi.json", token: newToken}))
	loader := openapi3.NewLoader()
	spec, err := loader.LoadFromData([]byte(raw))
	require.NoError(t, err)
	require.NoError(t, spec.Validate(t.Context()))
	for _, name := range []string{"Case", "CaseDetail", "CaseEvent", "Silence", "Client", "ActionResult"} {
		require.Contains(t, spec.Components.Schemas, name)
	}
	// The type enums come from the registry: every check, none forgotten.
	types := spec.Components.Schemas["Case"].Value.Properties["type"].Value.Enum
	require.Len(t, types, len(e.srv.opts.Registry.All()))
}
