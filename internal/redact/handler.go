package redact

import (
	"context"
	"fmt"
	"log/slog"
)

// Handler is a slog.Handler that scrubs secrets from every message and
// text attribute (strings, errors, Stringers, in groups too) before
// passing the record on: a log line never shows them, whoever wrote it.
type Handler struct {
	next    slog.Handler
	secrets []string
}

// NewHandler returns next scrubbed of secrets (see Text); with no secret
// of at least three characters it returns next itself.
func NewHandler(next slog.Handler, secrets ...string) slog.Handler {
	var keep []string
	for _, s := range secrets {
		if len(s) >= minScrub {
			keep = append(keep, s)
		}
	}
	if len(keep) == 0 {
		return next
	}
	return &Handler{next: next, secrets: keep}
}

// Enabled reports whether the next handler handles level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle scrubs the record and passes it on.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Text(r.Message, h.secrets...), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	if err := h.next.Handle(ctx, out); err != nil {
		return fmt.Errorf("redacting log handler: %w", err)
	}
	return nil
}

// WithAttrs returns a handler whose attributes are scrubbed already.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return &Handler{next: h.next.WithAttrs(clean), secrets: h.secrets}
}

// WithGroup returns a handler that opens a group.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name), secrets: h.secrets}
}

// attr scrubs one attribute.
func (h *Handler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(Text(v.String(), h.secrets...))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]slog.Attr, len(group))
		for i, g := range group {
			clean[i] = h.attr(g)
		}
		a.Value = slog.GroupValue(clean...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			a.Value = slog.StringValue(Text(x.Error(), h.secrets...))
		case fmt.Stringer:
			a.Value = slog.StringValue(Text(x.String(), h.secrets...))
		default:
			a.Value = v
		}
	default:
		a.Value = v
	}
	return a
}
