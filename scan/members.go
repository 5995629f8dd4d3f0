package scan

import (
	"bytes"
	"encoding/binary"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/ptd-agents/ptd-proactive/lifecycle"
)

// memberSet is a group's members (its actionable anomalies' cases) held
// compactly until the group's alert is written: 20 bytes a case — its id
// as the 16 bytes of a UUID, an index of its owner — instead of a
// lifecycle.Member (72 bytes) and its id's text (48). A case id that is
// not a canonical (lower-case, hyphenated) UUID is kept as text, once;
// the rare wake and silence-end times sit in a map by member. Members()
// gives the lifecycle.Members back, equal to those added.
type memberSet struct {
	ids [][16]byte
	// attrs holds per member the owner's index in owners and, in its top
	// bit, whether the id is a text (its index in texts in the id's first
	// four bytes).
	attrs []uint32
	// repeats counts per member the anomalies beyond its first (another
	// anomaly of a case already a member: the same member again).
	repeats map[int32]int32
	times   map[int32]memberTimes
	owners  interned
	texts   interned
	// sorted are the UUID ids, sorted, for has (made at its first call,
	// after the last add).
	sorted [][16]byte
	// anomalies counts the members with their repeats.
	anomalies int
}

// memberTimes are a member's wake and silence end.
type memberTimes struct{ wokeAt, silenceEndedAt *time.Time }

const textID = 1 << 31

// interned is a set of strings held once each, by index.
type interned struct {
	list  []string
	index map[string]uint32
}

func (in *interned) of(s string) uint32 {
	if i, ok := in.index[s]; ok {
		return i
	}
	if in.index == nil {
		in.index = map[string]uint32{}
	}
	i := uint32(len(in.list))
	in.list = append(in.list, s)
	in.index[s] = i
	return i
}

// add adds a member and returns its index.
func (ms *memberSet) add(m lifecycle.Member) int32 {
	i := int32(len(ms.ids))
	attr := ms.owners.of(m.Owner)
	id, ok := canonicalUUID(m.CaseID)
	if !ok {
		binary.LittleEndian.PutUint32(id[:4], ms.texts.of(m.CaseID))
		attr |= textID
	}
	ms.sorted = nil
	ms.ids = append(ms.ids, id)
	ms.attrs = append(ms.attrs, attr)
	if m.WokeAt != nil || m.SilenceEndedAt != nil {
		if ms.times == nil {
			ms.times = map[int32]memberTimes{}
		}
		ms.times[i] = memberTimes{m.WokeAt, m.SilenceEndedAt}
	}
	ms.anomalies++
	return i
}

// has reports whether the case id is a member's (the same text).
func (ms *memberSet) has(id string) bool {
	u, ok := canonicalUUID(id)
	if !ok {
		_, ok := ms.texts.index[id]
		return ok
	}
	if u == ([16]byte{}) {
		return ms.hasZero() // text members sort as the zero UUID: look
	}
	if ms.sorted == nil {
		ms.sorted = slices.Clone(ms.ids)
		for i := range ms.sorted {
			if ms.attrs[i]&textID != 0 {
				ms.sorted[i] = [16]byte{} // a text's index, not a UUID
			}
		}
		slices.SortFunc(ms.sorted, compareUUID)
	}
	_, found := slices.BinarySearchFunc(ms.sorted, u, compareUUID)
	return found
}

func compareUUID(a, b [16]byte) int { return bytes.Compare(a[:], b[:]) }

// hasZero reports whether a member's id is the zero UUID itself.
func (ms *memberSet) hasZero() bool {
	for i, x := range ms.ids {
		if x == ([16]byte{}) && ms.attrs[i]&textID == 0 {
			return true
		}
	}
	return false
}

// canonicalUUID returns the bytes of a canonical (lower-case, hyphenated)
// UUID text; false for any other text.
func canonicalUUID(s string) ([16]byte, bool) {
	var u [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return [16]byte{}, false
	}
	for i, j := 0, 0; i < len(s); {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			i++
			continue
		}
		hi, ok := lowerHex(s[i])
		lo, ok2 := lowerHex(s[i+1])
		if !ok || !ok2 {
			return [16]byte{}, false
		}
		u[j] = hi<<4 | lo
		i, j = i+2, j+1
	}
	return u, true
}

// lowerHex is the value of a lower-case hexadecimal digit.
func lowerHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// again counts another anomaly of member i.
func (ms *memberSet) again(i int32) {
	if ms.repeats == nil {
		ms.repeats = map[int32]int32{}
	}
	ms.repeats[i]++
	ms.anomalies++
}

// members returns the members, one per anomaly (a member's repeats
// follow it), all with inhibited as their Inhibited.
func (ms *memberSet) members(inhibited bool) []lifecycle.Member {
	out := make([]lifecycle.Member, 0, ms.anomalies)
	for i := range ms.ids {
		m := lifecycle.Member{Owner: ms.owners.list[ms.attrs[i]&^textID], Inhibited: inhibited}
		if ms.attrs[i]&textID != 0 {
			m.CaseID = ms.texts.list[binary.LittleEndian.Uint32(ms.ids[i][:4])]
		} else {
			m.CaseID = uuid.UUID(ms.ids[i]).String()
		}
		if t, ok := ms.times[int32(i)]; ok {
			m.WokeAt, m.SilenceEndedAt = t.wokeAt, t.silenceEndedAt
		}
		for range 1 + ms.repeats[int32(i)] {
			out = append(out, m)
		}
	}
	return out
}
