package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// corsAllowHeaders are the request headers the seed's function allowed.
const corsAllowHeaders = "authorization, x-client-info, apikey, content-type"

// corsPath reports whether path is answered with CORS headers (the API
// and the seed's function path).
func corsPath(path string) bool {
	return strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/functions/")
}

// cors answers as the seed's Supabase function did: every API answer
// carries Access-Control-Allow-Origin: * and the allowed headers, and an
// OPTIONS preflight is answered 200 "ok" without authentication.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !corsPath(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Max-Age", "86400")
			h.Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, "ok")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets headers every answer carries: no sniffing, no
// framing, no referrer, and a strict content security policy (the
// dashboard loads only its own script and stylesheet).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		next.ServeHTTP(w, r)
	})
}

// limitBody refuses a declared body over limit with 413 at once and caps
// any other body, so that a handler reading past the limit gets an
// *http.MaxBytesError (answered 413 by Error).
func limitBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			Error(w, r, &http.MaxBytesError{Limit: limit})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// readBody reads the whole (limited) request body.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, err
		}
		return nil, fmt.Errorf("read the request body: %w", err)
	}
	return b, nil
}

// formatBytes prints a byte count as KiB or MiB when it is a whole multiple.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// requestInfo collects what the request log line reports.
type requestInfo struct {
	err error
}

// infoKey is the context key of *requestInfo.
type infoKey struct{}

// noteError records err for the request's log line.
func noteError(r *http.Request, err error) {
	if info, ok := r.Context().Value(infoKey{}).(*requestInfo); ok && info.err == nil {
		info.err = err
	}
}

// statusWriter records the status written through it. Unwrap lets
// http.ResponseController reach the connection (flush, deadlines).
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the status.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap returns the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// quietPath reports whether requests to path are logged at debug level
// only (probes, scrapes, static files, the event stream).
func quietPath(path string) bool {
	switch path {
	case "/healthz", "/readyz", "/metrics", "/ui/alerts", "/ui/risk", "/favicon.ico", "/api/v1/events":
		return true
	}
	return strings.HasPrefix(path, "/ui/static/")
}

// logRequests logs one record per request and turns a panic into a JSON 500.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				info.err = fmt.Errorf("panic: %v", v)
				if sw.status == 0 {
					Error(sw, r, info.err)
				}
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			level := slog.LevelInfo
			switch {
			case status >= 500:
				level = slog.LevelError
			case quietPath(r.URL.Path) && status < 400:
				level = slog.LevelDebug
			}
			attrs := []slog.Attr{
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Int64("duration_ms", time.Since(start).Milliseconds()),
				slog.String("remote", r.RemoteAddr),
			}
			if info.err != nil {
				attrs = append(attrs, slog.String("error", info.err.Error()))
			}
			s.log.LogAttrs(r.Context(), level, "http request", attrs...)
		}()
		next.ServeHTTP(sw, r)
	})
}
