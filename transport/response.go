package transport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	kontor "github.com/kontor-dev/kontor"
)

// responseMaxBody is how much of an error body CheckResponse reads; a
// misbehaving server cannot make it buffer more.
const responseMaxBody = 1 << 20

// responseMaxMessage bounds APIError.Message.
const responseMaxMessage = 300

// CheckResponse returns nil for a response below 400. Otherwise it reads at
// most 1 MiB of the body, closes it, and returns a *kontor.APIError with
// the kind from the status (overridden by ClassifyCode when the remote's
// own error code is known), the remote code and message from the common
// error body shapes (OData and Business Central, SAP Business One,
// WooCommerce and WordPress, Magento, Shopify REST and GraphQL, Shopware,
// RFC 9457 problem details, OAuth 2.0), the request id, the Retry-After
// delay and a redacted excerpt of the body. system and op name the call in
// the error, e.g. "shopify" and "POST /products.json".
func CheckResponse(system, op string, resp *http.Response) error {
	return checkResponse(system, op, resp, time.Now())
}

func checkResponse(system, op string, resp *http.Response, now time.Time) error {
	if resp == nil {
		return &kontor.APIError{System: system, Op: op, Kind: kontor.KindUnknown, Message: "no response"}
	}
	if resp.StatusCode < 400 {
		return nil
	}
	e := &kontor.APIError{
		System:     system,
		Op:         op,
		Kind:       kontor.KindForStatus(resp.StatusCode),
		StatusCode: resp.StatusCode,
		RequestID:  requestID(resp.Header),
	}
	if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), now); ok {
		e.RetryAfter = d
	}
	var body []byte
	if resp.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, responseMaxBody))
		resp.Body.Close()
	}
	if len(body) == 0 {
		return e
	}
	r := DefaultRedactor
	ct := resp.Header.Get("Content-Type")
	e.Body = redactCutUTF8(r.body(ct, body, false), kontor.MaxBodyExcerpt)

	codes, msg := responseErrorFields(ct, body)
	for _, c := range codes {
		if k, ok := ClassifyCode(c); ok {
			e.Kind = k
			break
		}
	}
	if len(codes) > 0 {
		e.Code = redactCutUTF8(r.String(codes[0]), 100)
	}
	if msg != "" {
		msg = strings.Join(strings.Fields(r.String(msg)), " ")
		if len(msg) > responseMaxMessage {
			msg = redactCutUTF8(msg, responseMaxMessage-len("…")) + "…"
		}
		e.Message = msg
	}
	return e
}

// responseErrorFields extracts the remote error codes (first is the one to
// show) and the message from an error body.
func responseErrorFields(contentType string, body []byte) (codes []string, msg string) {
	mt, _, _ := mime.ParseMediaType(contentType)
	trimmed := bytes.TrimSpace(body)
	if strings.Contains(mt, "json") || (len(trimmed) > 0 && trimmed[0] == '{') {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			if obj, ok := v.(map[string]any); ok {
				return responseFromJSON(obj)
			}
		}
		return nil, ""
	}
	if mt == "text/plain" {
		line, _, _ := strings.Cut(string(redactValidUTF8(trimmed)), "\n")
		return nil, line
	}
	return nil, ""
}

// responseFromJSON reads the error shapes of the systems we talk to.
func responseFromJSON(obj map[string]any) (codes []string, msg string) {
	// OData v4 / Business Central: {"error":{"code":"…","message":"…"}};
	// OData v2/v3 / SAP: "message":{"lang":"en-us","value":"…"};
	// OAuth 2.0: {"error":"invalid_client","error_description":"…"}.
	if ev, ok := responseField(obj, "error"); ok {
		switch ev := ev.(type) {
		case map[string]any:
			code := responseText(responseGet(ev, "code"))
			msg := responseText(responseGet(ev, "message"))
			if code != "" || msg != "" {
				return responseNonEmpty(code), msg
			}
		case string:
			msg := responseText(responseGet(obj, "error_description"))
			if msg == "" {
				msg = responseText(responseGet(obj, "message"))
			}
			if !strings.ContainsAny(ev, " \t") {
				return []string{ev}, msg
			}
			if msg == "" {
				msg = ev
			}
			return nil, msg
		}
	}
	if ev, ok := responseField(obj, "errors"); ok {
		switch ev := ev.(type) {
		case string: // Shopify REST: {"errors":"Not Found"}
			return nil, ev
		case map[string]any: // Shopify REST: {"errors":{"title":["can't be blank"]}}
			keys := make([]string, 0, len(ev))
			for k := range ev {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			parts := make([]string, 0, len(keys))
			for _, k := range keys {
				parts = append(parts, k+": "+responseText(ev[k]))
			}
			return nil, strings.Join(parts, "; ")
		case []any: // GraphQL, Shopware (JSON:API)
			var msgs []string
			for _, item := range ev {
				m, ok := item.(map[string]any)
				if !ok {
					if s := responseText(item); s != "" {
						msgs = append(msgs, s)
					}
					continue
				}
				code := responseText(responseGet(m, "code"))
				if ext, ok := responseGet(m, "extensions").(map[string]any); ok {
					if c := responseText(responseGet(ext, "code")); c != "" {
						code = c
					}
				}
				if code != "" {
					codes = append(codes, code)
				}
				text := responseText(responseGet(m, "detail"))
				if text == "" {
					text = responseText(responseGet(m, "message"))
				}
				if text == "" {
					text = responseText(responseGet(m, "title"))
				}
				if src, ok := responseGet(m, "source").(map[string]any); ok {
					if p := responseText(responseGet(src, "pointer")); p != "" && text != "" {
						text += " (" + p + ")"
					}
				}
				if text != "" {
					msgs = append(msgs, text)
				}
			}
			if len(codes) > 0 || len(msgs) > 0 {
				return codes, strings.Join(msgs, "; ")
			}
		}
	}
	// WooCommerce / WordPress: {"code":"…","message":"…","data":{"status":404}};
	// Magento: {"message":"… %fieldName …","parameters":{"fieldName":"sku"}}.
	if m := responseText(responseGet(obj, "message")); m != "" {
		if params := responseGet(obj, "parameters"); params != nil {
			m = responseMagentoParams(m, params)
		}
		return responseNonEmpty(responseText(responseGet(obj, "code"))), m
	}
	// RFC 9457 problem details: {"type":"…","title":"…","detail":"…"}.
	title := responseText(responseGet(obj, "title"))
	detail := responseText(responseGet(obj, "detail"))
	if title != "" || detail != "" {
		switch {
		case title != "" && detail != "":
			msg = title + ": " + detail
		case title != "":
			msg = title
		default:
			msg = detail
		}
		if typ := responseText(responseGet(obj, "type")); typ != "" && typ != "about:blank" {
			codes = []string{typ}
		}
		return codes, msg
	}
	return responseNonEmpty(responseText(responseGet(obj, "code"))), ""
}

// responseMagentoParams fills Magento's %1 / %name placeholders.
func responseMagentoParams(msg string, params any) string {
	switch p := params.(type) {
	case []any:
		for i := len(p); i >= 1; i-- { // %10 before %1
			msg = strings.ReplaceAll(msg, "%"+strconv.Itoa(i), responseText(p[i-1]))
		}
	case map[string]any:
		keys := make([]string, 0, len(p))
		for k := range p {
			keys = append(keys, k)
		}
		// Longest first, so %fieldValue is not taken for %field.
		slices.SortFunc(keys, func(a, b string) int { return len(b) - len(a) })
		for _, k := range keys {
			msg = strings.ReplaceAll(msg, "%"+k, responseText(p[k]))
		}
	}
	return msg
}

// responseField finds key in obj, exactly or ignoring case.
func responseField(obj map[string]any, key string) (any, bool) {
	if v, ok := obj[key]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func responseGet(obj map[string]any, key string) any {
	v, _ := responseField(obj, key)
	return v
}

// responseText renders a JSON value as message text: strings as they are,
// SAP's {"lang","value"} as its value, lists joined, numbers as written.
func responseText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case map[string]any:
		if s, ok := responseGet(v, "value").(string); ok {
			return s
		}
		if s, ok := responseGet(v, "message").(string); ok {
			return s
		}
	case []any:
		parts := make([]string, 0, len(v))
		for _, x := range v {
			if s := responseText(x); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func responseNonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// responseCodeKinds maps remote error codes whose meaning the HTTP status
// does not carry (or carries wrongly) to kinds.
var responseCodeKinds = map[string]kontor.Kind{
	// Shopify GraphQL, often sent with HTTP 200.
	"THROTTLED":                          kontor.KindRateLimited,
	"MAX_COST_EXCEEDED":                  kontor.KindPermanent, // the query must be made cheaper
	"ACCESS_DENIED":                      kontor.KindUnauthorized,
	"SHOP_INACTIVE":                      kontor.KindPermanent,
	"INTERNAL_SERVER_ERROR":              kontor.KindRetryable,
	"CHANGE_FROM_QUANTITY_STALE":         kontor.KindConflict,
	"IDEMPOTENCY_CONCURRENT_REQUEST":     kontor.KindRetryable,
	"IDEMPOTENCY_KEY_PARAMETER_MISMATCH": kontor.KindPermanent,
	// Business Central (OData error codes).
	"Request_EntityChanged":            kontor.KindConflict, // stale ETag, sent as 409
	"Internal_EntityWithSameKeyExists": kontor.KindConflict, // duplicate key on insert
	"Internal_RecordNotFound":          kontor.KindNotFound,
	"BadRequest_NotFound":              kontor.KindNotFound,
	"Internal_ServerError":             kontor.KindRetryable,
	"Internal_TenantUnavailable":       kontor.KindRetryable,
	"Internal_MetadataSyncError":       kontor.KindRetryable,
	"Internal_CompanyNotFound":         kontor.KindPermanent, // wrong company in the base URL
	// WordPress: a 404 for a route that does not exist (plugin missing or
	// wrong API version) must not read as "the object was deleted".
	"rest_no_route":                         kontor.KindPermanent,
	"woocommerce_rest_authentication_error": kontor.KindUnauthorized,
	"woocommerce_rest_term_invalid":         kontor.KindNotFound,
	// OAuth 2.0 token and resource errors (RFC 6749 §5.2, RFC 6750 §3.1).
	"invalid_client":      kontor.KindUnauthorized,
	"invalid_grant":       kontor.KindUnauthorized,
	"unauthorized_client": kontor.KindUnauthorized,
	"invalid_token":       kontor.KindUnauthorized,
}

// ClassifyCode maps a remote system's own error code to a kind, for the
// codes whose meaning the HTTP status does not tell: Shopify GraphQL's
// THROTTLED (rate limited, even with HTTP 200), MAX_COST_EXCEEDED
// (permanent) and ACCESS_DENIED; Business Central's Request_EntityChanged
// (a stale ETag: conflict) and its Authentication_/Authorization_ codes;
// WooCommerce's woocommerce_rest_*_invalid_id (not found) and
// woocommerce_rest_cannot_* (unauthorized); OAuth's invalid_client and
// invalid_grant. It reports false for an unknown code. Connectors use it on
// errors that arrive in a 200 response.
func ClassifyCode(code string) (kontor.Kind, bool) {
	if k, ok := responseCodeKinds[code]; ok {
		return k, true
	}
	switch {
	case strings.HasPrefix(code, "Authentication_"), strings.HasPrefix(code, "Authorization_"):
		return kontor.KindUnauthorized, true
	case strings.HasPrefix(code, "woocommerce_rest_") && strings.HasSuffix(code, "_invalid_id"):
		return kontor.KindNotFound, true
	case strings.HasPrefix(code, "woocommerce_rest_cannot_"):
		return kontor.KindUnauthorized, true
	}
	return kontor.KindUnknown, false
}
