package businesscentral

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
)

// batchServer answers $batch requests with respond, which gets each
// operation and returns its status and body; it records the requests.
type batchServer struct {
	mu       sync.Mutex
	requests []batchRequest
	headers  []http.Header
	respond  func(call int, op batchOp) (int, string)
	reverse  bool // answer in reverse order, with ids
	noIDs    bool // answer with "id": null, in order
}

func (b *batchServer) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/BC/api/v2.0/$batch", r.URL.Path)
		require.Equal(t, http.MethodPost, r.Method)
		body, _ := io.ReadAll(r.Body)
		var req batchRequest
		require.NoError(t, json.Unmarshal(body, &req))
		b.mu.Lock()
		call := len(b.requests)
		b.requests = append(b.requests, req)
		b.headers = append(b.headers, r.Header.Clone())
		b.mu.Unlock()
		assert.LessOrEqual(t, len(req.Requests), MaxBatchOperations)
		var out []map[string]any
		for _, op := range req.Requests {
			status, body := b.respond(call, op)
			res := map[string]any{"status": status, "headers": map[string]string{"content-type": "application/json"}}
			if !b.noIDs {
				res["id"] = op.ID
			} else {
				res["id"] = nil
			}
			if body != "" {
				res["body"] = json.RawMessage(body)
			}
			out = append(out, res)
		}
		if b.reverse {
			for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
				out[i], out[j] = out[j], out[i]
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"responses": out})
	}
}

func numberedOps(n int) []batchOp {
	ops := make([]batchOp, n)
	for i := range ops {
		ops[i] = postOp(companyPath("c0", "things"), map[string]any{"n": i})
	}
	return ops
}

func opN(op batchOp) int {
	b, _ := json.Marshal(op.Body)
	var v struct{ N int }
	json.Unmarshal(b, &v)
	return v.N
}

func TestBatchMapsResultsByIDAndSplitsAt100(t *testing.T) {
	bs := &batchServer{reverse: true, respond: func(_ int, op batchOp) (int, string) {
		n := opN(op)
		if n == 7 {
			return 400, `{"error":{"code":"Application_FieldValidationException","message":"bad thing 7"}}`
		}
		return 201, fmt.Sprintf(`{"@odata.etag":"W/\"%d\"","id":"id-%d"}`, n, n)
	}}
	c, _ := handlerConnector(t, bs.handler(t))
	rs, err := c.runOps(t.Context(), numberedOps(150), batchMode{})
	require.NoError(t, err)
	require.Len(t, rs, 150)
	require.Len(t, bs.requests, 2, "150 operations are two $batch requests")
	assert.Len(t, bs.requests[0].Requests, 100)
	assert.Len(t, bs.requests[1].Requests, 50)
	for i, r := range rs {
		if i == 7 {
			require.Error(t, r.err)
			assert.Equal(t, kontor.KindValidation, kontor.KindOf(r.err))
			assert.Contains(t, r.err.Error(), "bad thing 7")
			continue
		}
		require.NoError(t, r.err, i)
		assert.Equal(t, fmt.Sprintf(`W/"%d"`, i), r.etag, "result %d belongs to operation %d", i, i)
	}
	assert.Empty(t, bs.headers[0].Get("Isolation"))
	assert.Equal(t, "odata.continue-on-error", bs.headers[0].Get("Prefer"), "one failed operation must not stop the others")
}

func TestBatchNullIDsMapByPosition(t *testing.T) {
	bs := &batchServer{noIDs: true, respond: func(_ int, op batchOp) (int, string) {
		return 201, fmt.Sprintf(`{"id":"id-%d"}`, opN(op))
	}}
	c, _ := handlerConnector(t, bs.handler(t))
	rs, err := c.runOps(t.Context(), numberedOps(3), batchMode{})
	require.NoError(t, err)
	for i, r := range rs {
		assert.JSONEq(t, fmt.Sprintf(`{"id":"id-%d"}`, i), string(r.body))
	}
}

func TestBatchAtomicRollsBackTheOthers(t *testing.T) {
	bs := &batchServer{respond: func(_ int, op batchOp) (int, string) {
		if opN(op) == 1 {
			return 400, `{"error":{"code":"Unknown","message":"'Invalid Type' is not an option."}}`
		}
		return 200, `{"id":"x"}`
	}}
	c, _ := handlerConnector(t, bs.handler(t))
	rs, err := c.runOps(t.Context(), numberedOps(3), batchMode{atomic: true})
	require.NoError(t, err)
	assert.Equal(t, "snapshot", bs.headers[0].Get("Isolation"))
	assert.Equal(t, kontor.KindValidation, kontor.KindOf(rs[1].err))
	for _, i := range []int{0, 2} {
		require.ErrorIs(t, rs[i].err, errRolledBack, "operation %d succeeded, but its batch was rolled back", i)
		assert.True(t, kontor.IsRetryable(rs[i].err))
	}
}

func TestBatchResendsOperationsTurnedAway(t *testing.T) {
	bs := &batchServer{respond: func(call int, op batchOp) (int, string) {
		if call == 0 && opN(op)%2 == 1 {
			return 429, `{"error":{"code":"Application_TooManyRequests","message":"Too many requests"}}`
		}
		return 201, `{"id":"ok-` + strconv.Itoa(opN(op)) + `"}`
	}}
	c, _ := handlerConnector(t, bs.handler(t))
	rs, err := c.runOps(t.Context(), numberedOps(4), batchMode{})
	require.NoError(t, err)
	for i, r := range rs {
		require.NoError(t, r.err, i)
		assert.JSONEq(t, `{"id":"ok-`+strconv.Itoa(i)+`"}`, string(r.body))
	}
	require.Len(t, bs.requests, 2)
	assert.Len(t, bs.requests[1].Requests, 2, "only the two turned away are sent again")
	assert.Equal(t, 1, opN(bs.requests[1].Requests[0]))
	assert.Equal(t, 3, opN(bs.requests[1].Requests[1]))
}

func TestBatchMissingResultFailsTheOperation(t *testing.T) {
	c, _ := handlerConnector(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"responses":[{"id":"1","status":201,"body":{"id":"a"}}]}`)
	})
	rs, err := c.runOps(t.Context(), numberedOps(2), batchMode{})
	require.NoError(t, err)
	require.NoError(t, rs[0].err)
	require.Error(t, rs[1].err)
	assert.True(t, kontor.IsRetryable(rs[1].err))
}

func TestWithoutBatchingSendsEachOperation(t *testing.T) {
	var paths []string
	c, _ := handlerConnector(t, func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.Method+" "+r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/BC/api/v2.0/companies(c0)/missing" {
			w.WriteHeader(404)
			fmt.Fprint(w, `{"error":{"code":"BadRequest_NotFound","message":"nope"}}`)
			return
		}
		w.WriteHeader(201)
		fmt.Fprint(w, `{"id":"a"}`)
	}, WithoutBatching())
	rs, err := c.runOps(t.Context(), []batchOp{postOp(companyPath("c0", "things"), map[string]any{}), getOp(companyPath("c0", "missing"), nil)}, batchMode{})
	require.NoError(t, err)
	assert.Equal(t, []string{"POST /BC/api/v2.0/companies(c0)/things", "GET /BC/api/v2.0/companies(c0)/missing"}, paths)
	require.NoError(t, rs[0].err)
	assert.Equal(t, 201, rs[0].status)
	assert.Equal(t, 404, rs[1].status)
	assert.Equal(t, kontor.KindNotFound, kontor.KindOf(rs[1].err))
}
