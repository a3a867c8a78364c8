package transport

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	kontor "github.com/kontor-dev/kontor"
)

// errorResponse builds a response as a server would send it.
func errorResponse(status int, contentType, body string, header ...string) *http.Response {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
}

func asAPIError(t *testing.T, err error) *kontor.APIError {
	t.Helper()
	require.Error(t, err)
	var e *kontor.APIError
	require.ErrorAs(t, err, &e)
	return e
}

func TestCheckResponseBodyShapes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		status      int
		contentType string
		body        string
		kind        kontor.Kind
		code        string
		message     string
	}{
		{
			name: "business central stale etag", status: 409, contentType: "application/json; odata.metadata=minimal",
			body: `{"error":{"code":"Request_EntityChanged","message":"Another user has already changed the record.  CorrelationId:  2b8a4a59-1d6a-4c1e-9c71-5f0a3b1c9d0e."}}`,
			kind: kontor.KindConflict, code: "Request_EntityChanged",
			message: "Another user has already changed the record. CorrelationId: 2b8a4a59-1d6a-4c1e-9c71-5f0a3b1c9d0e.",
		},
		{
			name: "business central duplicate key overrides 400", status: 400, contentType: "application/json",
			body: `{"error":{"code":"Internal_EntityWithSameKeyExists","message":"The Customer already exists. Identification fields and values: No.='C-1'"}}`,
			kind: kontor.KindConflict, code: "Internal_EntityWithSameKeyExists",
			message: "The Customer already exists. Identification fields and values: No.='C-1'",
		},
		{
			name: "business central authentication", status: 401, contentType: "application/json",
			body: `{"error":{"code":"Authentication_InvalidCredentials","message":"The server has rejected the client credentials."}}`,
			kind: kontor.KindUnauthorized, code: "Authentication_InvalidCredentials",
			message: "The server has rejected the client credentials.",
		},
		{
			name: "sap business one session", status: 401, contentType: "application/json;odata=minimalmetadata;charset=utf-8",
			body: `{"error":{"code":301,"message":{"lang":"en-us","value":"Invalid session or session already timeout."}}}`,
			kind: kontor.KindUnauthorized, code: "301", message: "Invalid session or session already timeout.",
		},
		{
			name: "woocommerce invalid id", status: 404, contentType: "application/json; charset=UTF-8",
			body: `{"code":"woocommerce_rest_product_invalid_id","message":"Invalid ID.","data":{"status":404}}`,
			kind: kontor.KindNotFound, code: "woocommerce_rest_product_invalid_id", message: "Invalid ID.",
		},
		{
			name: "woocommerce invalid id overrides 400", status: 400, contentType: "application/json",
			body: `{"code":"woocommerce_rest_shop_order_invalid_id","message":"Invalid ID.","data":{"status":400}}`,
			kind: kontor.KindNotFound, code: "woocommerce_rest_shop_order_invalid_id", message: "Invalid ID.",
		},
		{
			name: "wordpress missing route is no missing object", status: 404, contentType: "application/json",
			body: `{"code":"rest_no_route","message":"No route was found matching the URL and request method","data":{"status":404}}`,
			kind: kontor.KindPermanent, code: "rest_no_route", message: "No route was found matching the URL and request method",
		},
		{
			name: "woocommerce permission", status: 401, contentType: "application/json",
			body: `{"code":"woocommerce_rest_cannot_view","message":"Sorry, you cannot list resources.","data":{"status":401}}`,
			kind: kontor.KindUnauthorized, code: "woocommerce_rest_cannot_view", message: "Sorry, you cannot list resources.",
		},
		{
			name: "magento named parameters", status: 400, contentType: "application/json; charset=utf-8",
			body: `{"message":"\"%fieldName\" is required. Enter and try again.","parameters":{"fieldName":"sku"}}`,
			kind: kontor.KindValidation, message: `"sku" is required. Enter and try again.`,
		},
		{
			name: "magento positional parameters", status: 404, contentType: "application/json",
			body: `{"message":"No such entity with %1 = %2, %10","parameters":["sku","MUG-1","x","x","x","x","x","x","x","ten"]}`,
			kind: kontor.KindNotFound, message: "No such entity with sku = MUG-1, ten",
		},
		{
			name: "magento personal data in parameters", status: 404, contentType: "application/json",
			body: `{"message":"No such entity with %fieldName = %fieldValue","parameters":{"fieldName":"email","fieldValue":"canary.person@example.org"}}`,
			kind: kontor.KindNotFound, message: "No such entity with email = [REDACTED]",
		},
		{
			name: "shopify rest string", status: 401, contentType: "application/json",
			body: `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`,
			kind: kontor.KindUnauthorized, message: "[API] Invalid API key or access token (unrecognized login or wrong password)",
		},
		{
			name: "shopify rest fields", status: 422, contentType: "application/json",
			body: `{"errors":{"title":["can't be blank"],"base":["Variant limit reached","Try again"]}}`,
			kind: kontor.KindValidation, message: "base: Variant limit reached, Try again; title: can't be blank",
		},
		{
			name: "shopify graphql throttled", status: 429, contentType: "application/json",
			body: `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED","documentation":"https://shopify.dev/api/usage/rate-limits"}}],` +
				`"extensions":{"cost":{"requestedQueryCost":752,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":666,"restoreRate":50.0}}}}`,
			kind: kontor.KindRateLimited, code: "THROTTLED", message: "Throttled",
		},
		{
			name: "shopify graphql cost overrides 400", status: 400, contentType: "application/json",
			body: `{"errors":[{"message":"Query cost is 1250, which exceeds the single query max cost limit (1000).","extensions":{"code":"MAX_COST_EXCEEDED","cost":1250,"maxCost":1000}}]}`,
			kind: kontor.KindPermanent, code: "MAX_COST_EXCEEDED",
			message: "Query cost is 1250, which exceeds the single query max cost limit (1000).",
		},
		{
			name: "shopify graphql access denied", status: 403, contentType: "application/json",
			body: `{"errors":[{"message":"Access denied for inventoryItems field.","extensions":{"code":"ACCESS_DENIED"}}]}`,
			kind: kontor.KindUnauthorized, code: "ACCESS_DENIED", message: "Access denied for inventoryItems field.",
		},
		{
			name: "problem details", status: 409, contentType: "application/problem+json",
			body: `{"type":"https://example.net/probs/out-of-stock","title":"Out of stock","status":409,"detail":"Item SKU-1 is no longer available"}`,
			kind: kontor.KindConflict, code: "https://example.net/probs/out-of-stock",
			message: "Out of stock: Item SKU-1 is no longer available",
		},
		{
			name: "problem details without type", status: 500, contentType: "application/problem+json",
			body: `{"type":"about:blank","title":"Internal Server Error","status":500}`,
			kind: kontor.KindRetryable, message: "Internal Server Error",
		},
		{
			name: "shopware", status: 400, contentType: "application/vnd.api+json",
			body: `{"errors":[{"status":"400","code":"FRAMEWORK__WRITE_CONSTRAINT_VIOLATION","title":"Bad Request","detail":"This value should not be blank.","source":{"pointer":"/0/name"}},` +
				`{"status":"400","code":"FRAMEWORK__WRITE_CONSTRAINT_VIOLATION","title":"Bad Request","detail":"This value should be of type int.","source":{"pointer":"/0/stock"}}]}`,
			kind: kontor.KindValidation, code: "FRAMEWORK__WRITE_CONSTRAINT_VIOLATION",
			message: "This value should not be blank. (/0/name); This value should be of type int. (/0/stock)",
		},
		{
			name: "oauth client", status: 400, contentType: "application/json; charset=utf-8",
			body: `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]}`,
			kind: kontor.KindUnauthorized, code: "invalid_client", message: "AADSTS7000215: Invalid client secret provided.",
		},
		{
			name: "plain text", status: 503, contentType: "text/plain; charset=utf-8",
			body: "upstream connect error\nreset reason: overflow",
			kind: kontor.KindRetryable, message: "upstream connect error",
		},
		{
			name: "html gateway page", status: 502, contentType: "text/html",
			body: "<html><body><h1>502 Bad Gateway</h1></body></html>",
			kind: kontor.KindRetryable,
		},
		{
			name: "empty body", status: 404,
			kind: kontor.KindNotFound,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := asAPIError(t, CheckResponse("shop", "GET /x", errorResponse(c.status, c.contentType, c.body)))
			assert.Equal(t, "shop", e.System)
			assert.Equal(t, "GET /x", e.Op)
			assert.Equal(t, c.status, e.StatusCode)
			assert.Equal(t, c.kind, e.Kind, "kind")
			assert.Equal(t, c.code, e.Code, "code")
			assert.Equal(t, c.message, e.Message, "message")
			assert.NotContains(t, e.Body, "canary")
			assert.NotContains(t, e.Message, "canary")
		})
	}
}

func TestCheckResponseSuccessLeavesBody(t *testing.T) {
	t.Parallel()
	for _, status := range []int{200, 201, 204, 304} {
		resp := errorResponse(status, "application/json", `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}]}`)
		require.NoError(t, CheckResponse("shopify", "query", resp), status)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Contains(t, string(b), "THROTTLED", "a successful body is the caller's to read")
	}
	e := asAPIError(t, CheckResponse("shopify", "query", nil))
	assert.Equal(t, kontor.KindUnknown, e.Kind)
}

func TestCheckResponseRequestID(t *testing.T) {
	t.Parallel()
	cases := []struct {
		header []string
		want   string
	}{
		{[]string{"X-Request-Id", "abc-1"}, "abc-1"},
		{[]string{"x-request-id", "abc-2"}, "abc-2"},
		{[]string{"request-id", "bc-3"}, "bc-3"},
		{[]string{"ms-correlation-x", "corr-4"}, "corr-4"},
		{[]string{"X-Correlation-Id", "corr-5"}, "corr-5"},
		{[]string{"Request-Id", "first", "ms-correlation-x", "second"}, "first"},
		{[]string{"X-Request-Id", "  ", "Request-Id", "not-blank"}, "not-blank"},
		{[]string{"X-Request-Id", strings.Repeat("x", 500)}, strings.Repeat("x", 128)},
		{nil, ""},
	}
	for _, c := range cases {
		e := asAPIError(t, CheckResponse("erp", "op", errorResponse(500, "", "", c.header...)))
		assert.Equal(t, c.want, e.RequestID, c.header)
		assert.Contains(t, e.Error(), c.want)
	}
}

func TestCheckResponseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		value string
		want  time.Duration
	}{
		{"2.0", 2 * time.Second}, // Shopify REST sends a float
		{"120", 2 * time.Minute},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
		{"", 0},
	}
	for _, c := range cases {
		resp := errorResponse(429, "application/json", `{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}`,
			"Retry-After", c.value)
		err := checkResponse("shopify", "GET /products.json", resp, now)
		e := asAPIError(t, err)
		assert.Equal(t, c.want, e.RetryAfter, c.value)
		d, ok := kontor.RetryAfter(err)
		assert.Equal(t, c.want > 0, ok)
		assert.Equal(t, c.want, d)
	}
}

func TestCheckResponseSentinels(t *testing.T) {
	t.Parallel()
	err := CheckResponse("shopify", "GET /products.json", errorResponse(429, "application/json", `{"errors":"Exceeded 2 calls per second"}`, "Retry-After", "1"))
	assert.ErrorIs(t, err, kontor.ErrRateLimited)
	assert.ErrorIs(t, err, kontor.ErrRetryable)
	assert.NotErrorIs(t, err, kontor.ErrPermanent)
	assert.True(t, kontor.IsRetryable(err))
	assert.Equal(t, kontor.KindRateLimited, kontor.KindOf(err))
	assert.Equal(t, "shopify GET /products.json: rate limited: HTTP 429: Exceeded 2 calls per second", err.Error())

	err = CheckResponse("businesscentral", "PATCH /items(1)", errorResponse(409, "application/json",
		`{"error":{"code":"Request_EntityChanged","message":"Another user has already changed the record."}}`, "request-id", "r-1"))
	assert.ErrorIs(t, err, kontor.ErrConflict)
	assert.False(t, kontor.IsRetryable(err))
	assert.Equal(t, "businesscentral PATCH /items(1): conflict: HTTP 409 Request_EntityChanged: Another user has already changed the record. (request id r-1)", err.Error())

	wrapped := errors.Join(errors.New("sync item 7"), err)
	var e *kontor.APIError
	require.ErrorAs(t, wrapped, &e)
	assert.Equal(t, "r-1", e.RequestID)
}

func TestCheckResponseExcerptBoundedAndRedacted(t *testing.T) {
	t.Parallel()
	// A long message with personal data and multi-byte runes around the cut.
	body := `{"message":"Customer canary.person@example.org with password=CANARY-SECRET-8d1f could not be saved: ` +
		strings.Repeat("Größe ü ", 400) + `","parameters":[],"trace":"#0 /var/www/vendor/..."}`
	e := asAPIError(t, CheckResponse("magento", "POST /V1/customers", errorResponse(400, "application/json", body)))
	assert.LessOrEqual(t, len(e.Body), kontor.MaxBodyExcerpt)
	assert.Greater(t, len(e.Body), kontor.MaxBodyExcerpt-8, "the excerpt is as long as allowed")
	assert.True(t, utf8.ValidString(e.Body), "cut on a rune boundary")
	assert.True(t, strings.HasPrefix(e.Body, `{"message":"Customer [REDACTED] with password=[REDACTED] could`), e.Body)
	assert.LessOrEqual(t, len(e.Message), responseMaxMessage)
	assert.True(t, strings.HasSuffix(e.Message, "…"))
	assert.True(t, utf8.ValidString(e.Message))
	for _, s := range []string{e.Body, e.Message, e.Error()} {
		assert.NotContains(t, s, "canary")
		assert.NotContains(t, s, "CANARY")
	}
}

func TestCheckResponseRedactsErrorBodyShapes(t *testing.T) {
	t.Parallel()
	body := `{"error":{"code":"BadRequest_InvalidRequestUrl","message":"Bad value for customer email canary.person@example.org"},` +
		`"request":{"headers":{"Authorization":"Bearer CANARY-SECRET-8d1f"},"email":"canary.person@example.org"}}`
	e := asAPIError(t, CheckResponse("businesscentral", "GET /customers", errorResponse(400, "application/json", body)))
	assert.Equal(t, "Bad value for customer email [REDACTED]", e.Message)
	assert.Equal(t, `{"error":{"code":"BadRequest_InvalidRequestUrl","message":"Bad value for customer email [REDACTED]"},`+
		`"request":{"headers":{"Authorization":"[REDACTED]"},"email":"[REDACTED]"}}`, e.Body)
}

// respCountingBody counts the bytes read from it and whether it was closed.
type respCountingBody struct {
	r      io.Reader
	n      int
	closed bool
}

func (c *respCountingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func (c *respCountingBody) Close() error { c.closed = true; return nil }

// respEndlessReader yields a JSON string that never ends.
type respEndlessReader struct{ started bool }

func (r *respEndlessReader) Read(p []byte) (int, error) {
	i := 0
	if !r.started && len(p) > 0 {
		p[0] = '{'
		i, r.started = 1, true
	}
	for ; i < len(p); i++ {
		p[i] = 'x'
	}
	return len(p), nil
}

func TestCheckResponseReadsAtMostOneMiB(t *testing.T) {
	t.Parallel()
	body := &respCountingBody{r: io.LimitReader(&respEndlessReader{}, 10<<20)}
	resp := &http.Response{StatusCode: 500, Header: http.Header{"Content-Type": {"application/json"}}, Body: body}
	e := asAPIError(t, CheckResponse("erp", "GET /big", resp))
	assert.Equal(t, responseMaxBody, body.n, "reads exactly 1 MiB of a 10 MiB body")
	assert.True(t, body.closed, "the body is closed")
	assert.Equal(t, kontor.KindRetryable, e.Kind)
	assert.LessOrEqual(t, len(e.Body), kontor.MaxBodyExcerpt)
}

func TestCheckResponseOverHTTP(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "shop-req-1")
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"errors":"Exceeded 2 calls per second for api client."}`)
	}))
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Get(srv.URL + "/admin/api/2025-07/products.json")
	require.NoError(t, err)
	err = CheckResponse("shopify", "GET /products.json", resp)
	e := asAPIError(t, err)
	assert.Equal(t, kontor.KindRateLimited, e.Kind)
	assert.Equal(t, 3*time.Second, e.RetryAfter)
	assert.Equal(t, "shop-req-1", e.RequestID)
	assert.Equal(t, "Exceeded 2 calls per second for api client.", e.Message)
}

func TestClassifyCode(t *testing.T) {
	t.Parallel()
	cases := map[string]kontor.Kind{
		"THROTTLED":                              kontor.KindRateLimited,
		"MAX_COST_EXCEEDED":                      kontor.KindPermanent,
		"ACCESS_DENIED":                          kontor.KindUnauthorized,
		"CHANGE_FROM_QUANTITY_STALE":             kontor.KindConflict,
		"IDEMPOTENCY_CONCURRENT_REQUEST":         kontor.KindRetryable,
		"Request_EntityChanged":                  kontor.KindConflict,
		"Internal_RecordNotFound":                kontor.KindNotFound,
		"Internal_TenantUnavailable":             kontor.KindRetryable,
		"Authentication_TokenExpired":            kontor.KindUnauthorized,
		"Authorization_InsufficientPermissions":  kontor.KindUnauthorized,
		"woocommerce_rest_product_invalid_id":    kontor.KindNotFound,
		"woocommerce_rest_invalid_id":            kontor.KindNotFound,
		"woocommerce_rest_cannot_create":         kontor.KindUnauthorized,
		"woocommerce_rest_authentication_error":  kontor.KindUnauthorized,
		"rest_no_route":                          kontor.KindPermanent,
		"invalid_grant":                          kontor.KindUnauthorized,
		"FRAMEWORK__WRITE_CONSTRAINT_VIOLATION":  kontor.KindUnknown,
		"throttled":                              kontor.KindUnknown, // codes are case-sensitive
		"":                                       kontor.KindUnknown,
		"woocommerce_rest_product_invalid_id_no": kontor.KindUnknown,
	}
	for code, want := range cases {
		k, ok := ClassifyCode(code)
		assert.Equal(t, want, k, code)
		assert.Equal(t, want != kontor.KindUnknown, ok, code)
	}
}
