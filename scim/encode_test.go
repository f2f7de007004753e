package scim

import (
	"encoding/json"
	"testing"
	"time"
)

// TestAppendJSON: the hand-written encoder gives json.Marshal's bytes for
// every shape a SCIM document takes, including strings that need escaping.
func TestAppendJSON(t *testing.T) {
	docs := []any{
		nil, true, false, 0, -42, int64(1 << 40), 1.5, 1e21, json.Number("12.50"), "",
		"plain", "quote\" back\\ slash", "<script>&amp;</script>", "ctl \x00\x01\b\f\n\r\t\x1f\x7f",
		"bad utf8 \xff\xfe end", "sep \u2028 \u2029", "ünïcödé ✓ 😀",
		map[string]any{}, []any{}, []string{"a", "<b>"}, map[string]any(nil), []any(nil), []string(nil),
		map[string]any{"b": 1, "a": []any{map[string]any{"z": "1", "y": nil}}, "c": map[string]any{"k": true}},
		map[string]any{"when": time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), "n": uint8(3)},
	}
	var many = map[string]any{}
	for _, k := range []string{"q", "w", "e", "r", "t", "y", "u", "i", "o", "p", "a", "s", "d", "f", "g", "h", "j", "k", "l", "z"} {
		many[k] = k
	}
	docs = append(docs, many)
	for _, d := range docs {
		want, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendJSON(nil, d)
		if err != nil || string(got) != string(want) {
			t.Errorf("appendJSON(%#v) = %s, %v; json.Marshal gives %s", d, got, err, want)
		}
	}
	if _, err := appendJSON(nil, map[string]any{"x": make(chan int)}); err == nil {
		t.Errorf("unencodable value: no error")
	}
}
