package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Defaults of the sign-in throttle.
const (
	// DefaultLoginFailures is how many wrong tokens one client address may
	// send to /login per DefaultLoginWindow.
	DefaultLoginFailures = 5
	DefaultLoginWindow   = time.Minute
	// maxThrottledClients bounds the addresses the throttle remembers.
	maxThrottledClients = 10_000
)

// loginThrottle limits wrong sign-in tokens per client address: a fixed
// window per address opens at its first failure; once it holds max
// failures, further sign-ins from that address are refused (429) until the
// window ends. A successful sign-in clears the address. At most
// maxClients addresses are remembered: expired windows are pruned first,
// then the oldest. It is safe for concurrent use; time comes from the
// caller.
type loginThrottle struct {
	max        int
	window     time.Duration
	maxClients int

	mu      sync.Mutex
	clients map[netip.Prefix]*failureWindow
}

// failureWindow is one address's failures since start.
type failureWindow struct {
	start time.Time
	count int
}

// newLoginThrottle returns a throttle allowing max failures per window.
func newLoginThrottle(max int, window time.Duration, maxClients int) *loginThrottle {
	return &loginThrottle{max: max, window: window, maxClients: maxClients, clients: map[netip.Prefix]*failureWindow{}}
}

// clientKey is the address a request counts against: the peer's IP (an
// IPv6 client by its /64, which one host usually holds whole), or the
// whole remote address when it does not parse. Forwarding headers are not
// trusted: any client could set them to a fresh address per guess.
func clientKey(r *http.Request) netip.Prefix {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Prefix{}
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p
	}
	return netip.PrefixFrom(ip, 32)
}

// blocked reports whether key has used up its failures at now, and for
// how long it stays blocked.
func (l *loginThrottle) blocked(key netip.Prefix, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.clients[key]
	if !ok {
		return 0, false
	}
	end := w.start.Add(l.window)
	if !now.Before(end) {
		delete(l.clients, key)
		return 0, false
	}
	if w.count < l.max {
		return 0, false
	}
	return end.Sub(now), true
}

// fail counts a wrong token from key at now.
func (l *loginThrottle) fail(key netip.Prefix, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w, ok := l.clients[key]; ok && now.Before(w.start.Add(l.window)) {
		w.count++
		return
	}
	if len(l.clients) >= l.maxClients {
		l.prune(now)
	}
	l.clients[key] = &failureWindow{start: now, count: 1}
}

// succeed forgets key's failures.
func (l *loginThrottle) succeed(key netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.clients, key)
}

// size is the number of addresses remembered.
func (l *loginThrottle) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

// prune drops the expired windows and, if still full, the oldest ones, so
// that one more address fits. The caller holds mu.
func (l *loginThrottle) prune(now time.Time) {
	for k, w := range l.clients {
		if !now.Before(w.start.Add(l.window)) {
			delete(l.clients, k)
		}
	}
	for len(l.clients) >= l.maxClients {
		var oldest netip.Prefix
		var at time.Time
		first := true
		for k, w := range l.clients {
			if first || w.start.Before(at) {
				oldest, at, first = k, w.start, false
			}
		}
		delete(l.clients, oldest)
	}
}
