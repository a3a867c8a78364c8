package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	canarySecret = "CANARY-SECRET-8d1f"
	canaryEmail  = "canary.person@example.org"
	canaryName   = "Canarina Personova"
)

// logRecords parses the JSON lines a slog.JSONHandler wrote.
func logRecords(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		recs = append(recs, m)
	}
	return recs
}

func TestLogCanaryNeverLogged(t *testing.T) {
	t.Parallel()
	var received []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		received = append(received, string(b))
		mu.Unlock()
		w.Header().Set("Set-Cookie", "session="+canarySecret+"; HttpOnly")
		w.Header().Set("X-Request-Id", "req-4711")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		// The e-mail JSON-escaped, as some servers send it.
		fmt.Fprintf(w, `{"id":1,"sku":"SKU-4711","billing":{"email":"canary.person\u0040example.org","first_name":%q},"access_token":%q}`,
			canaryName, canarySecret)
	}))
	t.Cleanup(srv.Close)

	var buf syncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	failing := RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		if strings.HasSuffix(req.URL.Path, "/unreachable") {
			req.Body.Close()
			// Like many client errors, this one quotes the whole URL.
			return nil, fmt.Errorf("dial %s: connection refused (token %s)", req.URL.String(), canarySecret)
		}
		return srv.Client().Transport.RoundTrip(req)
	})
	client := &http.Client{Transport: Chain(failing, Log(logger, LogHeaders(), LogBodies(64<<10)))}

	base, err := url.Parse(srv.URL)
	require.NoError(t, err)
	base.User = url.UserPassword("ck_user", canarySecret)
	q := url.Values{"consumer_secret": {canarySecret}, "email": {canaryEmail}, "sku": {"SKU-4711"}}
	target := base.JoinPath("/wp-json/wc/v3/orders")
	target.RawQuery = q.Encode()

	send := func(method, path, contentType, body string) {
		u := *target
		u.Path = path
		req, err := http.NewRequestWithContext(context.Background(), method, u.String(), strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+canarySecret)
		req.Header.Set("X-Shopify-Access-Token", canarySecret)
		req.Header.Set("X-Api-Key", canarySecret)
		req.Header.Set("Content-Type", contentType)
		resp, err := client.Do(req)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		got, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Contains(t, string(got), canarySecret, "the caller still gets the real body")
	}

	jsonBody := fmt.Sprintf(`{"sku":"SKU-4711","password":%q,"billing":{"email":%q,"phone":"+49 30 1234"},`+
		`"customer":{"first_name":%q,"name":%q},"customer_note":"reach me at %s","line_items":[{"name":"Blue Mug","quantity":2}]}`,
		canarySecret, canaryEmail, canaryName, canaryName, canaryEmail)
	send(http.MethodPost, "/wp-json/wc/v3/orders", "application/json", jsonBody)
	send(http.MethodPost, "/oauth/token", "application/x-www-form-urlencoded",
		url.Values{"client_secret": {canarySecret}, "email": {canaryEmail}, "sku": {"SKU-4711"}}.Encode())
	send(http.MethodPost, "/soap/customer", "text/xml",
		fmt.Sprintf(`<customer><email>%s</email><password>%s</password><sku>SKU-4711</sku></customer>`, canaryEmail, canarySecret))
	send(http.MethodPost, "/notes", "text/plain", fmt.Sprintf("token=%s contact %s", canarySecret, canaryEmail))
	send(http.MethodGet, "/unreachable", "", "")

	mu.Lock()
	require.Len(t, received, 4, "every request but the failing one reached the server")
	assert.Equal(t, jsonBody, received[0], "the server got the body unchanged")
	mu.Unlock()

	out := buf.String()
	low := strings.ToLower(out)
	forbidden := []string{
		strings.ToLower(canarySecret),
		"canary.person", "canarina", "personova",
		strings.ToLower(url.QueryEscape(canaryEmail)),
		`canary.person\u0040example.org`,
		strings.ToLower(base64.StdEncoding.EncodeToString([]byte(canarySecret))),
		strings.ToLower(base64.StdEncoding.EncodeToString([]byte("ck_user:" + canarySecret))),
		"+49 30 1234",
	}
	for _, f := range forbidden {
		assert.NotContains(t, low, f)
	}

	recs := logRecords(t, out)
	require.Len(t, recs, 5, "one record per attempt")
	for _, r := range recs[:4] {
		assert.Equal(t, "INFO", r["level"])
		assert.EqualValues(t, 201, r["status"])
		assert.Equal(t, "req-4711", r["request_id"])
		assert.EqualValues(t, 1, r["attempt"])
		assert.Equal(t, base.Host, r["host"])
		assert.Equal(t, "POST", r["method"])
		assert.Contains(t, r["path"], "sku=SKU-4711")
		assert.Contains(t, r["path"], "consumer_secret=[REDACTED]")
		assert.Contains(t, r["response_body"], `"sku":"SKU-4711"`)
		assert.Contains(t, r["response_body"], `"email":"[REDACTED]"`)
		reqH := r["request_headers"].(map[string]any)
		assert.Equal(t, redactMark, reqH["Authorization"])
		assert.Equal(t, redactMark, reqH["X-Api-Key"])
		respH := r["response_headers"].(map[string]any)
		assert.Equal(t, redactMark, respH["Set-Cookie"])
		assert.Equal(t, "application/json", respH["Content-Type"])
	}
	assert.True(t, strings.HasPrefix(recs[0]["path"].(string), "/wp-json/wc/v3/orders?"))
	assert.Contains(t, recs[0]["request_body"], `"line_items":[{"name":"Blue Mug","quantity":2}]`)
	assert.Contains(t, recs[0]["request_body"], `"customer_note":"reach me at [REDACTED]"`)
	assert.Contains(t, recs[1]["request_body"], "sku=SKU-4711")
	assert.Contains(t, recs[2]["request_body"], "<sku>SKU-4711</sku>")
	assert.Equal(t, "token=[REDACTED] contact [REDACTED]", recs[3]["request_body"])

	failed := recs[4]
	assert.Equal(t, "WARN", failed["level"])
	assert.Equal(t, "GET", failed["method"])
	assert.Nil(t, failed["status"])
	assert.Contains(t, failed["error"], "/unreachable?")
	assert.Contains(t, failed["error"], "connection refused")
}

func TestLogBodiesKeepRequestAndResponseWhole(t *testing.T) {
	t.Parallel()
	reqPayload := []byte("[" + strings.Repeat(`{"sku":"SKU-1"},`, 10_000) + "{}]") // 160 kB
	respPayload := bytes.Repeat([]byte("0123456789 "), 30_000)                     // 330 kB
	var (
		mu     sync.Mutex
		gotSum [32]byte
		gotLen int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		gotSum, gotLen = sha256.Sum256(b), len(b)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", fmt.Sprint(len(respPayload)))
		w.Write(respPayload)
	}))
	t.Cleanup(srv.Close)

	var buf syncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	var want []byte
	getBodyOK := 0
	inspect := RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		// A retry above would call GetBody: it must yield the whole body.
		if req.GetBody != nil {
			rc, err := req.GetBody()
			if err == nil {
				b, _ := io.ReadAll(rc)
				if bytes.Equal(b, want) {
					getBodyOK++
				}
			}
		}
		return srv.Client().Transport.RoundTrip(req)
	})
	client := &http.Client{Transport: Chain(inspect, Log(logger, LogBodies(100)))}

	for _, size := range []int{len(reqPayload), 60} { // larger and smaller than max
		payload := reqPayload[:size]
		want = payload
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/bulk", bytes.NewReader(payload))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())

		mu.Lock()
		assert.Equal(t, sha256.Sum256(payload), gotSum, "server got the whole request body")
		assert.Equal(t, len(payload), gotLen)
		mu.Unlock()
		assert.Equal(t, respPayload, body, "caller got the whole response body")
	}
	assert.Equal(t, 2, getBodyOK, "GetBody yields the whole body")

	recs := logRecords(t, buf.String())
	require.Len(t, recs, 2)
	// The JSON walk stops where the cut is, before the partial member.
	assert.Equal(t, "["+strings.Repeat(`{"sku":"SKU-1"},`, 6)+"{…[truncated]", recs[0]["request_body"])
	// A whole body that is not valid JSON is shown as redacted text.
	assert.Equal(t, string(reqPayload[:60]), recs[1]["request_body"])
	// Text is cut before the partial word.
	assert.Equal(t, strings.Repeat("0123456789 ", 9)+"…[truncated]", recs[0]["response_body"])
	assert.EqualValues(t, len(respPayload), recs[0]["bytes"])
}

// errAfterBody fails after yielding its data, like a connection reset
// mid-body.
type errAfterBody struct {
	r      io.Reader
	err    error
	closed bool
}

func (b *errAfterBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, b.err
	}
	return n, err
}

func (b *errAfterBody) Close() error { b.closed = true; return nil }

func TestLogBodiesKeepsReadErrorForCaller(t *testing.T) {
	t.Parallel()
	reset := errors.New("connection reset")
	orig := &errAfterBody{r: strings.NewReader("partial body"), err: reset}
	base := RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: orig, ContentLength: -1, Request: req}, nil
	})
	var buf syncBuffer
	rt := Log(slog.New(slog.NewJSONHandler(&buf, nil)), LogBodies(1024))(base)
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/x", nil)
	resp, err := rt.RoundTrip(req)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	assert.Equal(t, "partial body", string(b))
	assert.ErrorIs(t, err, reset)
	require.NoError(t, resp.Body.Close())
	assert.True(t, orig.closed, "Close reaches the original body")

	recs := logRecords(t, buf.String())
	require.Len(t, recs, 1)
	assert.Equal(t, "partial …[truncated]", recs[0]["response_body"], "a body that failed is not shown as complete")
	assert.Nil(t, recs[0]["bytes"])
}

func TestLogLevelsAttemptAndDuration(t *testing.T) {
	t.Parallel()
	status := map[string]int{"/ok": 200, "/missing": 404, "/down": 503}
	base := RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		if req.URL.Path == "/broken" {
			return nil, errors.New("EOF")
		}
		h := http.Header{}
		h.Set("Ms-Correlation-X", "corr-9")
		return &http.Response{StatusCode: status[req.URL.Path], Header: h, Body: http.NoBody, ContentLength: 0, Request: req}, nil
	})
	var buf syncBuffer
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tick := func() time.Time { clock = clock.Add(250 * time.Millisecond); return clock }
	rt := Log(slog.New(slog.NewJSONHandler(&buf, nil)), func(c *logConfig) { c.now = tick })(base)

	for _, p := range []string{"/ok", "/missing", "/down", "/broken"} {
		ctx := withAttempt(context.Background(), 3)
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+p, nil).WithContext(ctx)
		resp, err := rt.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
	}
	recs := logRecords(t, buf.String())
	require.Len(t, recs, 4)
	levels := []string{"INFO", "WARN", "WARN", "WARN"}
	for i, r := range recs {
		assert.Equal(t, levels[i], r["level"], i)
		assert.EqualValues(t, 3, r["attempt"])
		assert.EqualValues(t, 250*time.Millisecond, r["duration"], "duration is measured around the call")
		assert.Equal(t, "http request", r["msg"])
	}
	assert.EqualValues(t, 404, recs[1]["status"])
	assert.Equal(t, "corr-9", recs[0]["request_id"])
	assert.EqualValues(t, 0, recs[0]["bytes"])
	assert.Equal(t, "EOF", recs[3]["error"])
	assert.Nil(t, recs[0]["request_headers"], "headers only with LogHeaders")
	assert.Nil(t, recs[0]["response_body"], "bodies only with LogBodies")
}

func TestLogDisabledPassesRequestUntouched(t *testing.T) {
	t.Parallel()
	body := &errAfterBody{r: strings.NewReader("payload"), err: io.EOF}
	var seen any
	base := RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		seen = req.Body
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
	})
	for _, logger := range []*slog.Logger{nil, slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))} {
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/x", nil)
		req.Body = body
		_, err := Log(logger, LogBodies(1024), LogHeaders())(base).RoundTrip(req)
		require.NoError(t, err)
		assert.Same(t, body, seen, "no buffering when nothing would be logged")
	}
}

func TestLogRequestBodyReadError(t *testing.T) {
	t.Parallel()
	calls := 0
	base := RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		calls++
		return nil, errors.New("unreachable")
	})
	var buf syncBuffer
	rt := Log(slog.New(slog.NewJSONHandler(&buf, nil)), LogBodies(10))(base)
	broken := &errAfterBody{r: strings.NewReader("abc"), err: errors.New("disk gone")}
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/x", nil)
	req.Body = broken
	_, err := rt.RoundTrip(req)
	require.ErrorContains(t, err, "disk gone")
	assert.Zero(t, calls, "a request whose body cannot be read is not sent")
	assert.True(t, broken.closed, "RoundTrip closes the request body on error")
	recs := logRecords(t, buf.String())
	require.Len(t, recs, 1)
	assert.Equal(t, "WARN", recs[0]["level"])
}

func TestLogBodiesEmptyRequestBody(t *testing.T) {
	t.Parallel()
	var seen io.ReadCloser
	base := RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		seen = req.Body
		return &http.Response{StatusCode: 204, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
	})
	var buf syncBuffer
	rt := Log(slog.New(slog.NewJSONHandler(&buf, nil)), LogBodies(10))(base)
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/x", nil)
	req.Body = io.NopCloser(strings.NewReader(""))
	_, err := rt.RoundTrip(req)
	require.NoError(t, err)
	assert.Equal(t, http.NoBody, seen, "an empty body is sent as no body")
	recs := logRecords(t, buf.String())
	require.Len(t, recs, 1)
	assert.Equal(t, "", recs[0]["request_body"])
	assert.Nil(t, recs[0]["response_body"])
}

func TestLogRedactorOption(t *testing.T) {
	t.Parallel()
	base := RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
	})
	var buf syncBuffer
	rt := Log(slog.New(slog.NewJSONHandler(&buf, nil)), LogRedactor(NewRedactor("tenant")))(base)
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/x?tenant=acme&page=2", nil)
	_, err := rt.RoundTrip(req)
	require.NoError(t, err)
	recs := logRecords(t, buf.String())
	require.Len(t, recs, 1)
	assert.Equal(t, "/x?tenant=[REDACTED]&page=2", recs[0]["path"])
}

func BenchmarkLogRoundTrip(b *testing.B) {
	body := []byte(`{"sku":"SKU-1","billing":{"email":"a@b.c","first_name":"Ada"},"line_items":[{"name":"Mug","quantity":1}]}`)
	base := RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		io.Copy(io.Discard, req.Body)
		h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r1"}}
		return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: req}, nil
	})
	for _, bc := range []struct {
		name string
		opts []LogOption
	}{
		{"plain", nil},
		{"headers+bodies", []LogOption{LogHeaders(), LogBodies(4096)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rt := Log(slog.New(slog.NewJSONHandler(io.Discard, nil)), bc.opts...)(base)
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/orders?consumer_secret=x", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer x")
				req.Header.Set("Content-Type", "application/json")
				resp, err := rt.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

func TestLogBodiesSkipsStreamsAndBoundsRedaction(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	big := strings.Repeat("line of text ", 20_000) // 260 kB
	base := RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		if req.URL.Path == "/events" {
			h := http.Header{"Content-Type": {"text/event-stream"}}
			return &http.Response{StatusCode: 200, Header: h, Body: pr, ContentLength: -1, Request: req}, nil
		}
		h := http.Header{"Content-Type": {"text/plain"}}
		return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(strings.NewReader(big)), ContentLength: int64(len(big)), Request: req}, nil
	})
	var buf syncBuffer
	rt := Log(slog.New(slog.NewJSONHandler(&buf, nil)), LogBodies(1<<20))(base)

	done := make(chan *http.Response, 1)
	go func() {
		resp, err := rt.RoundTrip(httptest.NewRequest(http.MethodGet, "http://127.0.0.1/events", nil))
		assert.NoError(t, err)
		done <- resp
	}()
	select {
	case resp := <-done:
		assert.Same(t, pr, resp.Body, "an event stream is handed on untouched")
	case <-time.After(5 * time.Second):
		t.Fatal("RoundTrip waited for an event stream's body")
	}

	resp, err := rt.RoundTrip(httptest.NewRequest(http.MethodGet, "http://127.0.0.1/big", nil))
	require.NoError(t, err)
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, big, string(got))

	recs := logRecords(t, buf.String())
	require.Len(t, recs, 2)
	assert.Nil(t, recs[0]["response_body"])
	logged := recs[1]["response_body"].(string)
	assert.True(t, strings.HasSuffix(logged, "…[truncated]"))
	assert.LessOrEqual(t, len(logged), redactMaxBody+len("…[truncated]"), "at most 64 KiB are redacted and logged")
	assert.Greater(t, len(logged), redactMaxBody-100)
}
