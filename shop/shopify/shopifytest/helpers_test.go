package shopifytest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
)

var t0 = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

// clock is a settable clock for the fake.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// response is a decoded GraphQL response with its HTTP status and headers.
type response struct {
	Status     int
	Header     http.Header
	Data       map[string]any
	Errors     []map[string]any
	Extensions map[string]any
	Raw        []byte
}

func (r response) cost() map[string]any { return r.Extensions["cost"].(map[string]any) }

// post sends a GraphQL request to a version's endpoint.
func post(t testing.TB, s *shopifytest.Server, version, token, query string, vars map[string]any) response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, s.GraphQLURL(version), bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Shopify-Access-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	var m struct {
		Data       map[string]any   `json:"data"`
		Errors     []map[string]any `json:"errors"`
		Extensions map[string]any   `json:"extensions"`
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if d.Decode(&m) == nil {
		out.Data, out.Errors, out.Extensions = m.Data, m.Errors, m.Extensions
	}
	return out
}

// gql sends a request with the server's token to its newest version and
// fails the test on GraphQL errors.
func gql(t testing.TB, s *shopifytest.Server, query string, vars map[string]any) response {
	t.Helper()
	r := post(t, s, "", s.Token(), query, vars)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	require.Empty(t, r.Errors, string(r.Raw))
	return r
}

// at walks a decoded value along keys and indexes.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func num(v any) int {
	switch n := v.(type) {
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	case float64:
		return int(n)
	}
	return -1
}

func jsonNum(n int) any { return json.Number(fmt.Sprint(n)) }
