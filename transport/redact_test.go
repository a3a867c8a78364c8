package transport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRedactorHeader(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	secret := []string{
		"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie",
		"X-Shopify-Access-Token", "X-Api-Key", "Api-Key", "X-Auth-Token",
		"X-Wc-Webhook-Signature", "X-Shopify-Hmac-Sha256", "X-Csrf-Token",
		"X-Datev-Client-Secret", "X-Session", "From", "X-Forwarded-For",
		"X-Customer-Email",
	}
	for _, k := range secret {
		h.Set(k, "s3cr3t-value")
	}
	h.Add("Set-Cookie", "second=s3cr3t-value")
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Request-Id", "req-1")
	h.Set("Idempotency-Key", "idem-42")
	h.Set("X-Note", "ask ada@example.org")
	h.Set("Link", `<https://shop.example/products?page_info=abc&access_token=s3cr3t-value>; rel="next"`)

	got := DefaultRedactor.Header(h)

	for _, k := range secret {
		assert.Equal(t, []string{redactMark}, got.Values(k)[:1], k)
	}
	assert.Equal(t, []string{redactMark, redactMark}, got.Values("Set-Cookie"), "every value is replaced")
	assert.Equal(t, "application/json; charset=utf-8", got.Get("Content-Type"))
	assert.Equal(t, "req-1", got.Get("X-Request-Id"))
	assert.Equal(t, "idem-42", got.Get("Idempotency-Key"), "idempotency keys trace writes and are no secret")
	assert.Equal(t, "ask "+redactMark, got.Get("X-Note"))
	assert.Equal(t, `<https://shop.example/products?page_info=abc&access_token=[REDACTED]>; rel="next"`, got.Get("Link"))

	assert.Equal(t, "s3cr3t-value", h.Get("Authorization"), "the input is not modified")
	assert.Nil(t, DefaultRedactor.Header(nil))
}

func TestRedactorURL(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{
			"https://shop.example/wp-json/wc/v3/products?consumer_key=ck_1&consumer_secret=cs_2&sku=SKU-1&per_page=100",
			"https://shop.example/wp-json/wc/v3/products?consumer_key=[REDACTED]&consumer_secret=[REDACTED]&sku=SKU-1&per_page=100",
		},
		{
			"https://admin:hunter2@erp.example:7048/odata?$filter=No%20eq%20%271%27",
			"https://admin:[REDACTED]@erp.example:7048/odata?$filter=No%20eq%20%271%27",
		},
		{
			"https://api.example/cb?code=abc&state=xyz&access_token=t&api_key=k&apikey=k&key=k&token=t&sig=s&signature=s&client_secret=c&password=p&secret=s",
			"https://api.example/cb?code=[REDACTED]&state=xyz&access_token=[REDACTED]&api_key=[REDACTED]&apikey=[REDACTED]&key=[REDACTED]&token=[REDACTED]&sig=[REDACTED]&signature=[REDACTED]&client_secret=[REDACTED]&password=[REDACTED]&secret=[REDACTED]",
		},
		{
			"https://api.example/customers?email=ada%40example.org&phone=%2B4930123&First_Name=Ada",
			"https://api.example/customers?email=[REDACTED]&phone=[REDACTED]&First_Name=[REDACTED]",
		},
		{ // an e-mail in a non-sensitive parameter and in a path segment
			"https://api.example/V1/customers/ada.lovelace@example.org/orders?q=from%3Aada%40example.org#access_token=t",
			"https://api.example/V1/customers/[REDACTED]/orders?q=from%3A[REDACTED]",
		},
		{
			"https://api.example/V1/customers/ada.lovelace%40example.org",
			"https://api.example/V1/customers/[REDACTED]",
		},
		{ // a paging cursor is not a secret
			"https://api.example/v2.0/items?$skiptoken=abc",
			"https://api.example/v2.0/items?$skiptoken=abc",
		},
		{"mailto:ada@example.org", "mailto:[REDACTED]"},
		{"/relative/path?token=x", "/relative/path?token=[REDACTED]"},
	}
	for _, c := range cases {
		u, err := url.Parse(c.in)
		require.NoError(t, err)
		assert.Equal(t, c.want, DefaultRedactor.URL(u), c.in)
	}
	assert.Equal(t, "", DefaultRedactor.URL(nil))
}

func TestRedactorBodyJSON(t *testing.T) {
	t.Parallel()
	in := `{"id":271878346596884015,"total":"10.10","price":1.10,"sku":"SKU-4711","name":"Blue Mug",` +
		`"password":"hunter2","billing":{"first_name":"Ada","name":"Ada Lovelace","city":"Berlin",` +
		`"postcode":"10115","email":"ada@example.org","address_1":"Main St 1"},` +
		`"line_items":[{"name":"Blue Mug","quantity":2,"title":"Mug"}],"note":"call ada\u0040example.org <b>now</b>",` +
		`"tags":null,"accepts_marketing":true,"addresses":[{"name":"Ada L","zip":"10115","street":["a","b"]}],` +
		`"credentials":{"user":"a","pass":"b"},"phone":4930123,` +
		`"metafields":[{"key":"erp_token","value":"abc"},{"key":"color","value":"blue"}],` +
		`"firstName":"Ada","lastName":"L","phoneNumber":"+49","apiKey":"k","e-mail":"x","shipToName":"Ada",` +
		`"billToAddressLine1":"Main St 1","billToCity":"Berlin","displayName":"Blue Mug","customer":{"displayName":"Ada","id":7},` +
		`"empty_password":"","date_of_birth":"1815-12-10","iban":"DE00","browser_ip":"192.0.2.1"}`
	want := `{"id":271878346596884015,"total":"10.10","price":1.10,"sku":"SKU-4711","name":"Blue Mug",` +
		`"password":"[REDACTED]","billing":{"first_name":"[REDACTED]","name":"[REDACTED]","city":"Berlin",` +
		`"postcode":"10115","email":"[REDACTED]","address_1":"[REDACTED]"},` +
		`"line_items":[{"name":"Blue Mug","quantity":2,"title":"Mug"}],"note":"call [REDACTED] <b>now</b>",` +
		`"tags":null,"accepts_marketing":true,"addresses":[{"name":"[REDACTED]","zip":"10115","street":"[REDACTED]"}],` +
		`"credentials":"[REDACTED]","phone":"[REDACTED]",` +
		`"metafields":[{"key":"erp_token","value":"[REDACTED]"},{"key":"color","value":"blue"}],` +
		`"firstName":"[REDACTED]","lastName":"[REDACTED]","phoneNumber":"[REDACTED]","apiKey":"[REDACTED]","e-mail":"[REDACTED]","shipToName":"[REDACTED]",` +
		`"billToAddressLine1":"[REDACTED]","billToCity":"Berlin","displayName":"Blue Mug","customer":{"displayName":"[REDACTED]","id":7},` +
		`"empty_password":"","date_of_birth":"[REDACTED]","iban":"[REDACTED]","browser_ip":"[REDACTED]"}`
	got := DefaultRedactor.Body("application/json; charset=utf-8", []byte(in))
	assert.Equal(t, want, string(got))
	assert.True(t, json.Valid(got))
}

func TestRedactorBodyJSONShapes(t *testing.T) {
	t.Parallel()
	r := DefaultRedactor
	// Newline-delimited JSON (a bulk result) keeps one value per line.
	assert.Equal(t, "{\"email\":\"[REDACTED]\"}\n{\"sku\":\"A\"}",
		string(r.Body("application/jsonl", []byte("{\"email\":\"a@b.c\"}\n{\"sku\":\"A\"}\n"))))
	// A top-level array and a bare string.
	assert.Equal(t, `[{"token":"[REDACTED]"},"[REDACTED]",1e400]`,
		string(r.Body("application/json", []byte(`[ {"token": "x"}, "ada@example.org", 1e400 ]`))))
	// JSON without a content type is recognised by its first byte.
	assert.Equal(t, `{"secret":"[REDACTED]"}`, string(r.Body("", []byte(` {"secret":"x"}`))))
	// An e-mail used as a key is masked too.
	assert.Equal(t, `{"[REDACTED]":1}`, string(r.Body("application/json", []byte(`{"ada@example.org":1}`))))
	// Invalid JSON falls back to pattern redaction.
	assert.Equal(t, `{"password":"[REDACTED]", "sku":"A" oops`,
		string(r.Body("application/json", []byte(`{"password":"hunter2", "sku":"A" oops`))))
	// An HTML error page sent as JSON.
	assert.Equal(t, `<html><p>contact [REDACTED]</p></html>`,
		string(r.Body("application/json", []byte(`<html><p>contact ada@example.org</p></html>`))))
	assert.Empty(t, r.Body("application/json", nil))
}

func TestRedactorBodyForm(t *testing.T) {
	t.Parallel()
	in := "grant_type=authorization_code&code=abc&client_id=app&client_secret=s3cr3t&refresh_token=r&email=ada%40example.org&note=hi+ada%40example.org&sku=SKU-1&flag"
	want := "grant_type=authorization_code&code=[REDACTED]&client_id=app&client_secret=[REDACTED]&refresh_token=[REDACTED]&email=[REDACTED]&note=hi+[REDACTED]&sku=SKU-1&flag"
	assert.Equal(t, want, string(DefaultRedactor.Body("application/x-www-form-urlencoded", []byte(in))))
}

func TestRedactorBodyTextAndXML(t *testing.T) {
	t.Parallel()
	xml := `<?xml version="1.0"?><soap:Envelope><soap:Body><Customer><ns:Password>hunter2</ns:Password>` +
		`<E_Mail>ada@example.org</E_Mail><Phone_No>+49 30 1</Phone_No><No>C-1</No><Item sku="A" api_key="k1"/></Customer></soap:Body></soap:Envelope>`
	want := `<?xml version="1.0"?><soap:Envelope><soap:Body><Customer><ns:Password>[REDACTED]</ns:Password>` +
		`<E_Mail>[REDACTED]</E_Mail><Phone_No>[REDACTED]</Phone_No><No>C-1</No><Item sku="A" api_key="[REDACTED]"/></Customer></soap:Body></soap:Envelope>`
	assert.Equal(t, want, string(DefaultRedactor.Body("text/xml; charset=utf-8", []byte(xml))))

	text := "login user=ada password=hunter2 token: abc123 Authorization: Bearer eyJhbGciOi.eyJzdWIiOi.sig ok"
	assert.Equal(t, "login user=ada password=[REDACTED] token: [REDACTED] Authorization: [REDACTED] [REDACTED] ok",
		string(DefaultRedactor.Body("text/plain", []byte(text))))
}

func TestRedactorBodyBinaryOmitted(t *testing.T) {
	t.Parallel()
	r := DefaultRedactor
	assert.Equal(t, "[3 bytes of application/pdf omitted]", string(r.Body("application/pdf", []byte("%PD"))))
	csv := "EXTF;700;21\r\n\"Ada Lovelace\";\"Main St 1\"\r\n"
	assert.Equal(t, fmt.Sprintf("[%d bytes of text/csv omitted]", len(csv)), string(r.Body("text/csv; charset=windows-1252", []byte(csv))))
	assert.Equal(t, "[2 bytes of binary data omitted]", string(r.Body("", []byte{0xff, 0xfe})))
}

func TestRedactorBodyTruncated(t *testing.T) {
	t.Parallel()
	r := NewRedactor()
	r.maxBody = 64

	// JSON cut in the middle of a secret: the walk stops before it.
	js := `{"sku":"SKU-1","items":[1,2,3],"password":"CANARY-SECRET-8d1f-and-more-and-more-and-more"}`
	got := string(r.Body("application/json", []byte(js)))
	assert.Equal(t, `{"sku":"SKU-1","items":[1,2,3],"password":…[truncated]`, got)

	// Text cut in the middle of an e-mail address: the partial word goes.
	text := strings.Repeat("x", 40) + " mail canary.person@example.org please"
	got = string(r.Body("text/plain", []byte(text)))
	assert.Equal(t, strings.Repeat("x", 40)+" mail …[truncated]", got)
	assert.NotContains(t, got, "canary")

	// Form cut inside a value: the last pair goes.
	form := "sku=SKU-1&note=" + strings.Repeat("n", 30) + "&comment=see+canary.person%40example.org"
	got = string(r.Body("application/x-www-form-urlencoded", []byte(form)))
	assert.Equal(t, "sku=SKU-1&note="+strings.Repeat("n", 30)+"…[truncated]", got)

	// A body at the limit is not cut.
	exact := `{"sku":"` + strings.Repeat("a", 64-10) + `"}`
	require.Len(t, exact, 64)
	assert.Equal(t, exact, string(r.Body("application/json", []byte(exact))))
}

func TestRedactorBodyDefaultLimit(t *testing.T) {
	t.Parallel()
	big := `{"items":[` + strings.Repeat(`{"sku":"SKU-1","email":"canary.person@example.org"},`, 5000) + `{}]}`
	require.Greater(t, len(big), redactMaxBody)
	got := string(DefaultRedactor.Body("application/json", []byte(big)))
	assert.True(t, strings.HasSuffix(got, "…[truncated]"))
	assert.LessOrEqual(t, len(got), redactMaxBody)
	assert.NotContains(t, got, "canary")
	assert.Contains(t, got, `{"sku":"SKU-1","email":"[REDACTED]"}`)
}

func TestRedactorZeroValue(t *testing.T) {
	t.Parallel()
	var r Redactor
	big := `{"note":"` + strings.Repeat("a ", redactMaxBody) + `"}`
	got := string(r.Body("application/json", []byte(big)))
	assert.Equal(t, `{"note":…[truncated]`, got, "the zero Redactor cuts at the default limit")
	assert.Equal(t, `{"email":"[REDACTED]"}`, string(r.Body("application/json", []byte(`{"email":"a@b.c"}`))))
}

func TestRedactorString(t *testing.T) {
	t.Parallel()
	ck := "ck_" + strings.Repeat("a1", 20)
	cases := []struct{ in, want string }{
		{"plain message, nothing to hide: code 404 at 12:30", "plain message, nothing to hide: code 404 at 12:30"},
		{"Basic authentication failed", "Basic authentication failed"},
		{"Authorization: Bearer abc.def-123", "Authorization: [REDACTED] [REDACTED]"},
		{"sent bearer 0123456789abcdef0123 to server", "sent bearer [REDACTED] to server"},
		{`Get "https://ck:cs@shop.example/wp-json/wc/v3/orders?consumer_secret=x&email=a%40b.c&page=2": dial tcp: refused`,
			`Get "https://ck:[REDACTED]@shop.example/wp-json/wc/v3/orders?consumer_secret=[REDACTED]&email=[REDACTED]&page=2": dial tcp: refused`},
		{"see https://erp.example/x?token=abc.", "see https://erp.example/x?token=[REDACTED]."},
		{"bad url https://admin:p%zzsecret@erp.example/x failed", "bad url https://admin:[REDACTED]@erp.example/x failed"},
		{"dsn postgres://kontor:s3cret@127.0.0.1:5432/db", "dsn postgres://kontor:[REDACTED]@127.0.0.1:5432/db"},
		{"Address protocol ftp:// is not supported", "Address protocol ftp:// is not supported"},
		{`{"password":"p\"w","sku":"A"}`, `{"password":"[REDACTED]","sku":"A"}`},
		{"note: password=hunter2; client_secret='x y'", "note: password=[REDACTED]; client_secret='[REDACTED]'"},
		{"contact ada.lovelace+shop@mail.example.org now", "contact [REDACTED] now"},
		{`escaped ada\u0040example.org and ada%40example.org`, "escaped [REDACTED] and [REDACTED]"},
		{"key " + ck + " was rejected", "key [REDACTED] was rejected"},
		{"token shpat_" + strings.Repeat("f", 32), "token [REDACTED]"},
		{"jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln end", "jwt [REDACTED] end"},
		{"<Password>x</Password>", "<Password>[REDACTED]</Password>"},
		{"invalid token 9f8e7d6c, password hunter2", "invalid token [REDACTED], password [REDACTED]"},
		{"token expired; password required", "token expired; password required"},
		{"Invalid client secret provided. Token abc_def.", "Invalid client secret provided. Token [REDACTED]."},
		{"[API] Invalid API key or access token (unrecognized login or wrong password)",
			"[API] Invalid API key or access token (unrecognized login or wrong password)"},
		{"", ""},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, DefaultRedactor.String(c.in), c.in)
	}
}

func TestNewRedactorExtraKeys(t *testing.T) {
	t.Parallel()
	r := NewRedactor("customer_no", "X-Tenant-Pin")
	assert.Equal(t, `{"customerNo":"[REDACTED]","sku":"A"}`,
		string(r.Body("application/json", []byte(`{"customerNo":"C1","sku":"A"}`))))
	u, _ := url.Parse("https://x.example/a?Customer-No=C1&sku=A")
	assert.Equal(t, "https://x.example/a?Customer-No=[REDACTED]&sku=A", r.URL(u))
	assert.Equal(t, redactMark, r.Header(http.Header{"X-Tenant-Pin": {"1"}}).Get("X-Tenant-Pin"))
	// DefaultRedactor does not know them.
	assert.Equal(t, `{"customerNo":"C1","sku":"A"}`,
		string(DefaultRedactor.Body("application/json", []byte(`{"customerNo":"C1","sku":"A"}`))))
}

func TestRedactorConcurrent(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				got := DefaultRedactor.Body("application/json", []byte(`{"email":"a@b.c","n":1}`))
				assert.Equal(t, `{"email":"[REDACTED]","n":1}`, string(got))
			}
		}()
	}
	wg.Wait()
}

func TestRedactCutUTF8(t *testing.T) {
	t.Parallel()
	s := strings.Repeat("ü", 10) // 2 bytes each
	assert.Equal(t, strings.Repeat("ü", 2), redactCutUTF8(s, 5))
	assert.Equal(t, s, redactCutUTF8(s, 100))
	assert.True(t, utf8.ValidString(redactCutUTF8("a€b", 2)))
}

// FuzzRedactorBodyJSON checks that valid JSON stays valid JSON and that no
// value under a password key survives.
func FuzzRedactorBodyJSON(f *testing.F) {
	f.Add(`{"a":1,"password":"x","b":[true,null,"c@d.e"]}`)
	f.Add(`[{"billing":{"name":"n","password":{"x":[1,2]}}}]`)
	f.Add(`"just a string with a@b.c"`)
	f.Add(`{"note":"\u003cb\u003e \\ \" \t"}`)
	f.Fuzz(func(t *testing.T, in string) {
		if !json.Valid([]byte(in)) || len(in) > redactMaxBody {
			return
		}
		out := DefaultRedactor.Body("application/json", []byte(in))
		require.True(t, json.Valid(out), "in=%s out=%s", in, out)
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		var v any
		require.NoError(t, dec.Decode(&v))
		if m, ok := v.(map[string]any); ok {
			if p, ok := m["password"]; ok && p != nil && p != "" && p != true && p != false {
				assert.Equal(t, redactMark, p)
			}
		}
	})
}

// benchOrder is a webshop order as a connector would log it (about 2 kB).
const benchOrder = `{"id":450789469,"admin_graphql_api_id":"gid://shopify/Order/450789469","email":"bob.norman@mail.example.com",` +
	`"created_at":"2008-01-10T11:00:00-05:00","currency":"USD","total_price":"598.94","subtotal_price":"597.00",` +
	`"note":"Please leave at the door, call +1 555 0100 or mail bob.norman@mail.example.com","browser_ip":"203.0.113.7",` +
	`"billing_address":{"first_name":"Bob","last_name":"Norman","name":"Bob Norman","address1":"Chestnut Street 92",` +
	`"address2":"","city":"Louisville","zip":"40202","province":"Kentucky","country":"United States","phone":"+1(502)-459-2181",` +
	`"company":null,"latitude":45.41634,"longitude":-75.6868},` +
	`"shipping_address":{"first_name":"Bob","last_name":"Norman","name":"Bob Norman","address1":"Chestnut Street 92",` +
	`"city":"Louisville","zip":"40202","country":"United States","phone":"555-625-1199"},` +
	`"customer":{"id":207119551,"email":"bob.norman@mail.example.com","first_name":"Bob","last_name":"Norman","orders_count":1,` +
	`"default_address":{"id":207119551,"name":"Bob Norman","address1":"Chestnut Street 92","city":"Louisville","zip":"40202"}},` +
	`"line_items":[{"id":466157049,"variant_id":39072856,"title":"IPod Nano - 8gb","quantity":1,"sku":"IPOD2008GREEN",` +
	`"name":"IPod Nano - 8gb - green","price":"199.00","properties":[{"name":"Custom Engraving Front","value":"Happy Birthday Mom!"}]},` +
	`{"id":518995019,"variant_id":49148385,"title":"IPod Nano - 8gb","quantity":1,"sku":"IPOD2008RED","name":"IPod Nano - 8gb - red","price":"199.00"},` +
	`{"id":703073504,"variant_id":457924702,"title":"IPod Nano - 8gb","quantity":1,"sku":"IPOD2008BLACK","name":"IPod Nano - 8gb - black","price":"199.00"}],` +
	`"shipping_lines":[{"id":369256396,"title":"Free Shipping","price":"0.00","code":"Free Shipping"}],"tags":"","token":"b1946ac92492d2347c6235b4d2611184"}`

func TestRedactorBodyOrder(t *testing.T) {
	t.Parallel()
	got := string(DefaultRedactor.Body("application/json", []byte(benchOrder)))
	require.True(t, json.Valid([]byte(got)))
	for _, personal := range []string{"Bob", "Norman", "Chestnut", "bob.norman", "459-2181", "625-1199",
		"203.0.113.7", "45.41634", "b1946ac92492d2347c6235b4d2611184"} {
		assert.NotContains(t, got, personal)
	}
	for _, kept := range []string{`"name":"IPod Nano - 8gb - green"`, `"sku":"IPOD2008GREEN"`, `"city":"Louisville"`,
		`"zip":"40202"`, `"value":"Happy Birthday Mom!"`, `"title":"Free Shipping"`, `"code":"Free Shipping"`,
		`"total_price":"598.94"`, `"id":450789469`, `"company":null`, `"tags":""`} {
		assert.Contains(t, got, kept)
	}
}

func BenchmarkRedactorBody(b *testing.B) {
	for _, bc := range []struct{ name, ct, body string }{
		{"json-2kB", "application/json", benchOrder},
		{"json-64kB", "application/json", "[" + strings.Repeat(benchOrder+",", 64<<10/len(benchOrder)) + "{}]"},
		{"text-2kB", "text/plain", benchOrder},
		{"form", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=app&client_secret=s3cr3t&scope=https%3A%2F%2Fapi.example%2F.default"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			in := []byte(bc.body)
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				DefaultRedactor.Body(bc.ct, in)
			}
		})
	}
}

func BenchmarkRedactorString(b *testing.B) {
	msg := `Post "https://shop.example/wp-json/wc/v3/orders?consumer_key=ck_x&consumer_secret=cs_y": dial tcp 203.0.113.7:443: i/o timeout`
	b.ReportAllocs()
	for b.Loop() {
		DefaultRedactor.String(msg)
	}
}

// FuzzRedactorString checks that an e-mail address and a password appended
// to any text never survive.
func FuzzRedactorString(f *testing.F) {
	f.Add("plain text")
	f.Add(`{"note":"x", "token": "`)
	f.Add("see https://a.example/x?y=1 and <Password>")
	f.Add("Bearer")
	f.Add("ada%40")
	f.Fuzz(func(t *testing.T, s string) {
		in := s + " canary.person@example.org password=CANARY-SECRET-8d1f"
		out := DefaultRedactor.String(in)
		assert.NotContains(t, out, "canary.person")
		assert.NotContains(t, out, "CANARY-SECRET")
	})
}
