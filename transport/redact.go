package transport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// redactMark replaces every redacted value.
const redactMark = "[REDACTED]"

// redactMaxBody bounds the bytes of a body Redactor.Body looks at; the rest
// is cut off before any work is done.
const redactMaxBody = 64 << 10

// Redactor removes secrets and personal data from headers, URLs, bodies
// and free text before they reach a log or an error. Keys are matched
// case-insensitively with separators ignored, so first_name, firstName and
// First-Name are one key. It is safe for concurrent use; the zero value
// behaves like DefaultRedactor.
//
// Redaction is by key where the structure is known (headers, query
// parameters, JSON and form fields, XML elements) and by pattern everywhere
// (e-mail addresses, bearer credentials, well-known API token shapes, URLs
// with credentials). It errs on the side of hiding too much.
type Redactor struct {
	extra   map[string]struct{} // normalised extra keys
	maxBody int
}

// NewRedactor returns a Redactor that also hides the values of extraKeys
// (header names, query parameters, JSON, form and XML keys), for fields only
// one connector knows are sensitive.
func NewRedactor(extraKeys ...string) *Redactor {
	r := &Redactor{extra: make(map[string]struct{}, len(extraKeys)), maxBody: redactMaxBody}
	for _, k := range extraKeys {
		if n := redactNormKey(k); n != "" {
			r.extra[n] = struct{}{}
		}
	}
	return r
}

// DefaultRedactor is the Redactor Log and CheckResponse use unless told
// otherwise.
var DefaultRedactor = NewRedactor()

// redactScope says where a key was found; URLs, forms and headers carry
// credentials under names that would be ordinary in a JSON document.
type redactScope uint8

const (
	scopeBody   redactScope = iota // JSON and XML keys, key=value in free text
	scopeQuery                     // URL query parameters and form fields
	scopeHeader                    // HTTP header names
)

// redactExact are the normalised keys whose values are always hidden:
// credentials and personal data.
var redactExact = keySet(
	// credentials
	"password", "passwd", "pwd", "passphrase", "secret", "token", "accesstoken",
	"refreshtoken", "idtoken", "authtoken", "sessiontoken", "clientsecret",
	"consumerkey", "consumersecret", "apikey", "apisecret", "accesskey",
	"authorization", "proxyauthorization", "cookie", "setcookie", "signature",
	"privatekey", "sessionid", "otp", "cvv", "cvc", "cardnumber", "ccnumber",
	"creditcardnumber", "assertion", "clientassertion", "jwt", "auth",
	// personal data
	"email", "mail", "emailaddress", "phone", "phonenumber", "telephone", "tel",
	"mobile", "mobilephone", "cellphone", "fax", "faxnumber",
	"firstname", "lastname", "fullname", "middlename", "surname", "givenname",
	"familyname", "contactname", "customername", "username", "buyername",
	"recipientname", "personname", "cardname", "cardholdername",
	"accountholdername", "billtoname", "shiptoname", "selltoname",
	"billtocontact", "shiptocontact", "selltocontact",
	"street", "street1", "street2", "streetaddress", "streetname", "housenumber",
	"address1", "address2", "address3", "addressline1", "addressline2",
	"addressline3", "dateofbirth", "birthdate", "birthday", "dob",
	"iban", "ssn", "socialsecuritynumber", "nationalid", "passportnumber",
	"ipaddress", "browserip", "clientip", "customerip", "remoteip",
	"customeripaddress",
)

// redactParts hide a key that contains them anywhere (billing_email,
// customer_phone_number, x_api_key, billToAddressLine1, ...).
var redactParts = []string{
	"password", "passwd", "secret", "token", "apikey", "privatekey",
	"signature", "authorization", "credential", "sessionid", "hmac", "cookie",
	"email", "phone", "firstname", "lastname", "fullname", "middlename",
	"surname", "givenname", "familyname", "addressline", "street", "birth",
	"iban", "ipaddress", "passport",
}

// redactQueryExact are short names that are credentials in URLs and forms
// (an OAuth code, a signed URL's sig) but ordinary words in a JSON body.
var redactQueryExact = keySet("key", "sig", "code", "pass", "pw", "hash")

// redactHeaderExact and redactHeaderParts add the header names that carry
// credentials or a client's identity.
var redactHeaderExact = keySet("from", "forwarded", "xforwardedfor", "xrealip",
	"trueclientip", "cfconnectingip", "xclientip")

var redactHeaderParts = []string{"key", "session", "auth"}

// redactNever are keys the rules above would hide but that are neither
// secret nor personal: paging cursors, idempotency keys, OAuth token types.
var redactNever = keySet("skiptoken", "deltatoken", "pagetoken", "nextpagetoken",
	"continuationtoken", "idempotencykey", "xidempotencykey", "tokentype")

// redactPersonalParents are JSON keys whose objects describe a person or an
// address; inside them the keys in redactPersonalChildren are personal too,
// while elsewhere "name" is a product's or a shipping method's.
var redactPersonalParents = keySet("customer", "billing", "shipping", "address",
	"addresses", "billingaddress", "shippingaddress", "defaultaddress",
	"shippingaddresses", "customeraddress", "deliveryaddress", "invoiceaddress",
	"billto", "shipto", "soldto", "contact", "contacts", "recipient", "buyer",
	"person")

var redactPersonalChildren = keySet("name", "displayname", "address",
	"latitude", "longitude", "lat", "lng", "lon", "formatted", "formattedaddress")

func keySet(keys ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		m[k] = struct{}{}
	}
	return m
}

func inSet(m map[string]struct{}, k string) bool {
	_, ok := m[k]
	return ok
}

// redactNormKey lower-cases k and drops everything but letters and digits.
func redactNormKey(k string) string {
	var b strings.Builder
	b.Grow(len(k))
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteByte(c)
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		}
	}
	return b.String()
}

// sensitive reports whether the value under key must be hidden.
func (r *Redactor) sensitive(key string, s redactScope) bool {
	k := redactNormKey(key)
	if k == "" || inSet(redactNever, k) {
		return false
	}
	if inSet(r.extra, k) || inSet(redactExact, k) {
		return true
	}
	for _, p := range redactParts {
		if strings.Contains(k, p) {
			return true
		}
	}
	switch s {
	case scopeQuery:
		return inSet(redactQueryExact, k)
	case scopeHeader:
		if inSet(redactHeaderExact, k) {
			return true
		}
		for _, p := range redactHeaderParts {
			if strings.Contains(k, p) {
				return true
			}
		}
	}
	return false
}

// Header returns a copy of h in which the values of sensitive headers
// (Authorization, Cookie, Set-Cookie, X-Shopify-Access-Token, X-Api-Key,
// any name containing token, secret, password, signature, key, session or
// auth, and headers that identify a person such as From and
// X-Forwarded-For) are replaced, and e-mail addresses, tokens and
// credentials in URLs are hidden in the others. The idempotency key
// headers stay readable: they are needed to trace a write.
func (r *Redactor) Header(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		cp := make([]string, len(vs))
		hide := r.sensitive(k, scopeHeader)
		for i, v := range vs {
			if hide {
				cp[i] = redactMark
			} else {
				cp[i] = r.String(v)
			}
		}
		out[k] = cp
	}
	return out
}

// URL returns u as a string without secrets: the userinfo password and the
// fragment are dropped, the values of sensitive query parameters
// (consumer_key, consumer_secret, access_token, api_key, key, token, sig,
// code, client_secret, email, phone, ...) are replaced, and e-mail
// addresses and tokens in path segments and other values are masked.
func (r *Redactor) URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	var b strings.Builder
	if u.Scheme != "" {
		b.WriteString(u.Scheme)
		b.WriteByte(':')
	}
	if u.Opaque != "" { // mailto:someone@example.org
		b.WriteString(r.String(u.Opaque))
		return b.String()
	}
	if u.Host != "" || u.User != nil {
		b.WriteString("//")
		if u.User != nil {
			b.WriteString(r.maskValue(u.User.Username()))
			if _, ok := u.User.Password(); ok {
				b.WriteString(":" + redactMark)
			}
			b.WriteByte('@')
		}
		b.WriteString(u.Host)
	}
	b.WriteString(r.target(u))
	return b.String()
}

// target returns the redacted path and query of u, the request target.
func (r *Redactor) target(u *url.URL) string {
	var b strings.Builder
	segs := strings.Split(u.EscapedPath(), "/")
	for i, seg := range segs {
		if i > 0 {
			b.WriteByte('/')
		}
		dec, err := url.PathUnescape(seg)
		if err != nil {
			dec = seg
		}
		if m := r.String(dec); m != dec {
			b.WriteString(m)
		} else {
			b.WriteString(seg)
		}
	}
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteByte('?')
		b.WriteString(r.form(u.RawQuery, false))
	}
	return b.String()
}

// form redacts an application/x-www-form-urlencoded string (a query or a
// form body). When cut is set, the input was truncated and its last pair,
// which may hold half a value, is dropped.
func (r *Redactor) form(raw string, cut bool) string {
	pairs := strings.Split(raw, "&")
	if cut && len(pairs) > 0 {
		pairs = pairs[:len(pairs)-1]
	}
	for i, p := range pairs {
		k, v, hasValue := strings.Cut(p, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			dk = k
		}
		if mk := r.String(dk); mk != dk {
			k = redactEscape(mk)
		}
		if !hasValue {
			pairs[i] = k
			continue
		}
		if r.sensitive(dk, scopeQuery) {
			if v != "" {
				v = redactMark
			}
		} else {
			dv, err := url.QueryUnescape(v)
			if err != nil {
				dv = v
			}
			if mv := r.String(dv); mv != dv {
				v = redactEscape(mv)
			}
		}
		pairs[i] = k + "=" + v
	}
	return strings.Join(pairs, "&")
}

// redactEscape query-escapes s but leaves the redaction mark readable.
func redactEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), url.QueryEscape(redactMark), redactMark)
}

// Body returns a redacted copy of a request or response body for a log or
// an error. JSON (also problem+json and newline-delimited JSON) is walked
// token by token: the values of sensitive keys are replaced, names inside
// customer and address objects too, and the output of valid JSON is valid
// JSON with numbers kept exactly. Form bodies are redacted by field name.
// Other text, XML and invalid JSON get pattern redaction. Binary bodies,
// CSV and EDI, which carry personal data without field names, are not
// shown at all. A body longer than 64 KiB is cut before any work and the
// result ends with "…[truncated]".
func (r *Redactor) Body(contentType string, b []byte) []byte {
	return []byte(r.body(contentType, b, false))
}

// limit is how many bytes of a body are redacted; the zero Redactor uses
// the default.
func (r *Redactor) limit() int {
	if r.maxBody > 0 {
		return r.maxBody
	}
	return redactMaxBody
}

// body redacts b; cut says b is already the start of a longer body.
func (r *Redactor) body(contentType string, b []byte, cut bool) string {
	if n := r.limit(); len(b) > n {
		b, cut = b[:n], true
	}
	if len(b) == 0 && !cut {
		return ""
	}
	var out string
	switch kind, mt := redactBodyKind(contentType, b); kind {
	case bodyJSON:
		o, err := r.json(b)
		switch {
		case err == nil:
			return string(o)
		case cut && (errors.Is(err, io.ErrUnexpectedEOF) || len(o) > 0):
			// The walk stopped where the cut is; what it wrote is redacted.
			out = string(o)
		default:
			out = r.text(b, cut)
		}
	case bodyForm:
		out = r.form(strings.TrimSpace(string(redactValidUTF8(b))), cut)
	case bodyText:
		out = r.text(b, cut)
	default:
		if mt == "" {
			mt = "binary data"
		}
		return fmt.Sprintf("[%d bytes of %s omitted]", len(b), mt)
	}
	if cut {
		out += "…[truncated]"
	}
	return out
}

type redactKind uint8

const (
	bodyBinary redactKind = iota
	bodyJSON
	bodyForm
	bodyText
)

// redactBodyKind decides how to redact a body from its media type, or
// from its first byte when there is none.
func redactBodyKind(contentType string, b []byte) (redactKind, string) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, _, _ = strings.Cut(contentType, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	switch {
	case mt == "":
		t := bytes.TrimLeft(b, " \t\r\n")
		if len(t) > 0 && (t[0] == '{' || t[0] == '[') {
			return bodyJSON, mt
		}
		if utf8.Valid(b) {
			return bodyText, mt
		}
	case strings.Contains(mt, "json"):
		return bodyJSON, mt
	case mt == "application/x-www-form-urlencoded":
		return bodyForm, mt
	case mt == "text/csv", mt == "text/tab-separated-values",
		strings.Contains(mt, "edifact"), strings.Contains(mt, "edi-x12"),
		mt == "application/octet-stream":
		// Rows of names and addresses with no keys to redact by.
	case strings.HasPrefix(mt, "text/"), strings.Contains(mt, "xml"),
		mt == "application/graphql", mt == "application/javascript":
		return bodyText, mt
	case utf8.Valid(b) && !strings.HasPrefix(mt, "image/") &&
		!strings.HasPrefix(mt, "audio/") && !strings.HasPrefix(mt, "video/") &&
		mt != "application/pdf" && mt != "application/zip":
		return bodyText, mt
	}
	return bodyBinary, mt
}

// text redacts free text; when cut is set, a partial word at the end (half
// an e-mail address, half a token) is dropped first.
func (r *Redactor) text(b []byte, cut bool) string {
	s := string(redactValidUTF8(b))
	if cut {
		s = strings.TrimRightFunc(s, func(c rune) bool { return !redactDelim(c) })
	}
	return r.String(s)
}

func redactDelim(c rune) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '"', '\'', ',', ';', '<', '>', '&', '(', ')', '[', ']', '{', '}':
		return true
	}
	return false
}

// redactValidUTF8 cuts a trailing partial rune and replaces invalid bytes.
func redactValidUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	return bytes.ToValidUTF8(b, []byte("\uFFFD"))
}

// jsonFrame is one open object or array in the JSON walk.
type jsonFrame struct {
	object     bool
	wantKey    bool   // the next token in this object is a key or '}'
	n          int    // members or elements written so far
	key        string // the current member's key
	personal   bool   // a person or address: names in it are personal
	pairSecret bool   // a sibling {"name": "<secret key>"} makes "value" secret
}

// json redacts a JSON text (or a stream of them) token by token, so key
// order and numbers are kept and a truncated document is redacted up to
// where it stops. On error it returns what it wrote so far.
func (r *Redactor) json(b []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out bytes.Buffer
	out.Grow(len(b) + len(b)/8)
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	writeString := func(s string) {
		_ = enc.Encode(s) // cannot fail for a string
		out.Truncate(out.Len() - 1)
	}
	var stack []jsonFrame
	values := 0 // top-level values written
	done := func() {
		if len(stack) == 0 {
			values++
			return
		}
		top := &stack[len(stack)-1]
		top.n++
		if top.object {
			top.wantKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF && len(stack) > 0 {
			err = io.ErrUnexpectedEOF
		}
		if err == io.EOF {
			return out.Bytes(), nil
		}
		if err != nil {
			return out.Bytes(), err
		}
		var top *jsonFrame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			out.WriteByte(byte(d))
			stack = stack[:len(stack)-1]
			done()
			continue
		}
		if top != nil && top.object && top.wantKey {
			key, _ := tok.(string)
			if top.n > 0 {
				out.WriteByte(',')
			}
			writeString(r.maskValue(key))
			out.WriteByte(':')
			top.key, top.wantKey = key, false
			continue
		}
		switch {
		case top == nil && values > 0:
			out.WriteByte('\n')
		case top != nil && !top.object && top.n > 0:
			out.WriteByte(',')
		}
		hide, personal := false, false
		switch {
		case top == nil:
		case top.object:
			k := redactNormKey(top.key)
			hide = r.sensitive(top.key, scopeBody) ||
				(top.personal && inSet(redactPersonalChildren, k)) ||
				(top.pairSecret && k == "value")
			personal = inSet(redactPersonalParents, k)
		default: // array elements inherit the array's context
			personal = top.personal
		}
		switch t := tok.(type) {
		case json.Delim: // '{' or '['
			if hide {
				if err := redactSkipJSON(dec); err != nil {
					return out.Bytes(), err
				}
				writeString(redactMark)
				done()
				continue
			}
			out.WriteByte(byte(t))
			stack = append(stack, jsonFrame{object: t == '{', wantKey: t == '{', personal: personal})
		case string:
			if hide && t != "" {
				writeString(redactMark)
			} else {
				writeString(r.String(t))
			}
			if top != nil && top.object {
				switch redactNormKey(top.key) {
				case "name", "key", "header", "field":
					if r.sensitive(t, scopeBody) {
						top.pairSecret = true
					}
				}
			}
			done()
		case json.Number:
			if hide {
				writeString(redactMark)
			} else {
				out.WriteString(t.String())
			}
			done()
		case bool:
			// true or false identifies no one; keep it for debugging.
			fmt.Fprint(&out, t)
			done()
		case nil:
			out.WriteString("null")
			done()
		}
	}
}

// redactSkipJSON consumes the rest of the object or array whose opening
// delimiter was just read.
func redactSkipJSON(dec *json.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

// redactTokenAt matches, at the start of its input, a credential known by
// its shape: a WooCommerce consumer key or secret, a Shopify access token,
// a JSON web token.
var redactTokenAt = regexp.MustCompile(`^(?:c[ks]_[0-9a-fA-F]{40}|shp(?:at|ca|pa|ss|ua)_[0-9a-fA-F]{32}|eyJ[A-Za-z0-9_\-]+\.eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*)`)

// String redacts free text such as an error message: URLs are redacted as
// by URL; bearer and basic credentials, credentials named in prose
// ("invalid token 9f8e…"), the values of sensitive key=value, key: value
// and "key":"value" pairs and of sensitive XML elements are replaced; and
// e-mail addresses (also URL-encoded and JSON-escaped) and known token
// shapes are masked. Its scanners are linear in the length of s.
func (r *Redactor) String(s string) string {
	if s == "" {
		return s
	}
	if strings.Contains(s, "://") {
		s = r.urlsIn(s)
	}
	if strings.ContainsAny(s, " \t\r\n") {
		s = redactWordsIn(s, redactAuthWords, redactIsCredByte, redactLooksLikeCredential, false)
		s = redactWordsIn(s, redactProseWords, redactIsProseByte, redactLooksLikeSecretWord, true)
	}
	if strings.ContainsAny(s, "=:") {
		s = r.pairsIn(s)
	}
	if strings.Contains(s, "<") {
		s = r.tagsIn(s)
	}
	return r.maskValue(s)
}

// maskValue masks e-mail addresses and known token shapes only.
func (r *Redactor) maskValue(s string) string {
	return redactTokens(redactEmails(s))
}

func redactIsWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func redactIsLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func redactIsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// redactASCIILower lowers ASCII letters only, so byte offsets stay valid.
func redactASCIILower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// redactAuthWords introduce an Authorization credential.
var redactAuthWords = []string{"bearer", "basic"}

// redactProseWords introduce a credential in prose: "token 9f8e…",
// "password hunter2".
var redactProseWords = []string{"token", "secret", "password", "passwd", "apikey", "api_key", "signature"}

func redactIsCredByte(c byte) bool {
	return redactIsWordByte(c) || strings.IndexByte(".~+/=-", c) >= 0
}

func redactIsProseByte(c byte) bool {
	return c > ' ' && strings.IndexByte(`"'<>,;()[]{}`, c) < 0
}

// redactLooksLikeCredential tells "Bearer 9f8e7d…" from "Basic
// authentication".
func redactLooksLikeCredential(v string) bool {
	if len(v) >= 16 {
		return true
	}
	return strings.ContainsAny(v, "0123456789._~+/=-")
}

// redactLooksLikeSecretWord tells "token 9f8e7d" and "password hunter2"
// from "secret provided." and "token expired".
func redactLooksLikeSecretWord(v string) bool {
	return len(v) >= 16 || strings.ContainsAny(v, "0123456789_+/=~")
}

// redactWordsIn replaces the value after any of words (matched as a word
// start, case-insensitively, followed by white space) when isCred says it
// looks like a credential; trim keeps trailing sentence punctuation.
func redactWordsIn(s string, words []string, isVal func(byte) bool, isCred func(string) bool, trim bool) string {
	l := redactASCIILower(s)
	var b strings.Builder
	last := 0
	for i := 0; i < len(l); {
		at, word := -1, ""
		for _, w := range words {
			if k := strings.Index(l[i:], w); k >= 0 && (at < 0 || i+k < at) {
				at, word = i+k, w
			}
		}
		if at < 0 {
			break
		}
		i = at + 1
		if at > 0 && redactIsWordByte(l[at-1]) {
			continue
		}
		start := at + len(word)
		for start < len(s) && redactIsSpace(s[start]) {
			start++
		}
		if start == at+len(word) || strings.HasPrefix(s[start:], redactMark) {
			continue
		}
		end := start
		for end < len(s) && isVal(s[end]) {
			end++
		}
		if trim {
			end = start + len(strings.TrimRight(s[start:end], ".:!?"))
		}
		if end == start || !isCred(s[start:end]) {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(redactMark)
		last, i = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// urlsIn redacts every URL (scheme://…) in s as URL does.
func (r *Redactor) urlsIn(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; ; {
		k := strings.Index(s[i:], "://")
		if k < 0 {
			break
		}
		k += i
		i = k + 3
		start := k
		for start > last && (redactIsWordByte(s[start-1]) || strings.IndexByte("+.-", s[start-1]) >= 0) {
			start--
		}
		for start < k && !redactIsLetter(s[start]) {
			start++
		}
		if start == k || (start > 0 && redactIsWordByte(s[start-1])) {
			continue
		}
		end := i
		for end < len(s) && !redactIsSpace(s[end]) && strings.IndexByte("\"'<>`", s[end]) < 0 {
			end++
		}
		// Sentence punctuation after a URL is not part of it.
		for end > i && strings.IndexByte(".,;:)]}", s[end-1]) >= 0 {
			end--
		}
		if end == i {
			continue // a scheme alone ("ftp:// is not supported") is no URL
		}
		var red string
		if u, err := url.Parse(s[start:end]); err == nil {
			red = r.URL(u)
		} else {
			red = redactUserinfo(s[start:end])
		}
		b.WriteString(s[last:start])
		b.WriteString(red)
		last, i = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// redactUserinfo hides the password of a URL that does not parse.
func redactUserinfo(raw string) string {
	scheme, rest, _ := strings.Cut(raw, "://")
	auth, path, hasPath := strings.Cut(rest, "/")
	at := strings.LastIndexByte(auth, '@')
	if at < 0 {
		return raw
	}
	user, _, hasPass := strings.Cut(auth[:at], ":")
	if !hasPass {
		return raw
	}
	out := scheme + "://" + user + ":" + redactMark + auth[at:]
	if hasPath {
		out += "/" + path
	}
	return out
}

// redactIsKeyByte are the bytes of a key in key=value text.
func redactIsKeyByte(c byte) bool {
	return redactIsWordByte(c) || strings.IndexByte(".$-[]", c) >= 0
}

// pairsIn replaces the values of sensitive key=value, key: value and
// "key":"value" pairs in s.
func (r *Redactor) pairsIn(s string) string {
	var b strings.Builder
	last := 0 // s[:last] is written
	for p := 0; p < len(s); p++ {
		if (s[p] != '=' && s[p] != ':') || p < last {
			continue
		}
		keyEnd := p
		for keyEnd > last && redactIsSpace(s[keyEnd-1]) {
			keyEnd--
		}
		if keyEnd > last && (s[keyEnd-1] == '"' || s[keyEnd-1] == '\'') {
			keyEnd--
		}
		keyStart := keyEnd
		for keyStart > last && redactIsKeyByte(s[keyStart-1]) {
			keyStart--
		}
		for keyStart < keyEnd && !redactIsLetter(s[keyStart]) && s[keyStart] != '_' && s[keyStart] != '$' {
			keyStart++
		}
		if keyStart == keyEnd || !r.sensitive(s[keyStart:keyEnd], scopeBody) {
			continue
		}
		start := p + 1
		for start < len(s) && redactIsSpace(s[start]) {
			start++
		}
		if strings.HasPrefix(s[start:], redactMark) {
			continue
		}
		end := redactValueEnd(s, start)
		if end == start {
			continue
		}
		if s[start] == '"' || s[start] == '\'' {
			start++ // keep the quotes
			if end > start && s[end-1] == s[start-1] {
				end--
			}
		}
		if end <= start || s[start:end] == redactMark {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(redactMark)
		last = end
		p = end - 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// redactValueEnd returns where the value starting at s[i] ends: after its
// closing quote, or at the next delimiter for a bare value.
func redactValueEnd(s string, i int) int {
	if i >= len(s) {
		return i
	}
	if q := s[i]; q == '"' || q == '\'' {
		for j := i + 1; j < len(s); j++ {
			switch s[j] {
			case '\\':
				j++
			case q:
				return j + 1
			}
		}
		return len(s) // unterminated: the rest is the value
	}
	j := i
	for j < len(s) && !redactIsSpace(s[j]) && strings.IndexByte("&,;\"'<>)]}", s[j]) < 0 {
		j++
	}
	return j
}

// tagsIn replaces the text of sensitive XML elements in s.
func (r *Redactor) tagsIn(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; ; {
		k := strings.IndexByte(s[i:], '<')
		if k < 0 {
			break
		}
		k += i
		i = k + 1
		nameEnd := i
		if nameEnd >= len(s) || !(redactIsLetter(s[nameEnd]) || s[nameEnd] == '_') {
			continue
		}
		for nameEnd < len(s) && (redactIsWordByte(s[nameEnd]) || strings.IndexByte(".:-", s[nameEnd]) >= 0) {
			nameEnd++
		}
		gt := nameEnd
		if gt < len(s) && redactIsSpace(s[gt]) { // attributes
			for gt < len(s) && s[gt] != '<' && s[gt] != '>' {
				gt++
			}
		}
		if gt >= len(s) || s[gt] != '>' {
			continue
		}
		name := s[i:nameEnd]
		if c := strings.LastIndexByte(name, ':'); c >= 0 {
			name = name[c+1:] // drop the namespace prefix
		}
		if !r.sensitive(name, scopeBody) {
			continue
		}
		start := gt + 1
		end := len(s) // unterminated: the rest is the value
		if j := strings.IndexByte(s[start:], '<'); j >= 0 {
			end = start + j
		}
		if end == start || s[start:end] == redactMark {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(redactMark)
		last, i = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// redactAtSigns are the spellings of "@" in text: plain, URL-encoded,
// JSON-escaped and as HTML entities (matched case-insensitively).
var redactAtSigns = []string{"@", "%40", `\u0040`, "&#64;", "&#x40;"}

func redactIsLocalByte(c byte) bool {
	return redactIsWordByte(c) || strings.IndexByte(".%+-", c) >= 0
}

func redactIsDomainByte(c byte) bool {
	return c == '-' || c >= '0' && c <= '9' || redactIsLetter(c)
}

// redactEmails masks e-mail addresses. The domain needs no dot, so an
// address cut off by a truncation is still caught.
func redactEmails(s string) string {
	if strings.IndexByte(s, '@') < 0 && !strings.Contains(s, "%") && !strings.Contains(s, `\u`) &&
		!strings.Contains(s, `\U`) && !strings.Contains(s, "&#") {
		return s
	}
	l := redactASCIILower(s)
	var b strings.Builder
	last := 0
	for i := 0; i < len(l); {
		at, sign := -1, ""
		for _, a := range redactAtSigns {
			if k := strings.Index(l[i:], a); k >= 0 && (at < 0 || i+k < at) {
				at, sign = i+k, a
			}
		}
		if at < 0 {
			break
		}
		i = at + 1
		start := at
		for start > last && redactIsLocalByte(s[start-1]) {
			start--
		}
		end := at + len(sign)
		for end < len(s) && redactIsDomainByte(s[end]) {
			end++
		}
		if start == at || end == at+len(sign) {
			continue
		}
		for end+1 < len(s) && s[end] == '.' && redactIsDomainByte(s[end+1]) {
			end++
			for end < len(s) && redactIsDomainByte(s[end]) {
				end++
			}
		}
		b.WriteString(s[last:start])
		b.WriteString(redactMark)
		last, i = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// redactTokens masks credentials known by their shape.
func redactTokens(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i+3 <= len(s); i++ {
		switch s[i : i+3] {
		case "ck_", "cs_", "shp", "eyJ":
		default:
			continue
		}
		if i > 0 && redactIsWordByte(s[i-1]) {
			continue
		}
		loc := redactTokenAt.FindStringIndex(s[i:])
		if loc == nil {
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(redactMark)
		last = i + loc[1]
		i = last - 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// redactCutUTF8 returns at most n bytes of s, cut on a rune boundary.
func redactCutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
