package termtext

import (
	"strconv"
	"strings"
)

// Count writes n and the noun in the number n calls for: "1 row",
// "2 rows", "0 anomalies", "3 alert groups". The plural is the one given,
// else the regular English one of the noun's last word (Plural).
func Count(n int, singular string, plural ...string) string {
	return strconv.Itoa(n) + " " + Noun(n, singular, plural...)
}

// Noun returns singular when n is 1 (or -1), else the plural given, else
// Plural(singular).
func Noun(n int, singular string, plural ...string) string {
	if n == 1 || n == -1 {
		return singular
	}
	if len(plural) > 0 {
		return plural[0]
	}
	return Plural(singular)
}

// Plural returns the regular English plural of a noun phrase's last word:
// "entity" → "entities", "match" → "matches", "alert group" → "alert
// groups". Irregular nouns are given to Count or Noun instead.
func Plural(singular string) string {
	s := singular
	switch {
	case s == "":
		return s
	case strings.HasSuffix(s, "y") && len(s) > 1 && !strings.ContainsRune("aeiou", rune(s[len(s)-2])):
		return s[:len(s)-1] + "ies"
	case strings.HasSuffix(s, "s"), strings.HasSuffix(s, "x"), strings.HasSuffix(s, "z"),
		strings.HasSuffix(s, "ch"), strings.HasSuffix(s, "sh"):
		return s + "es"
	}
	return s + "s"
}
