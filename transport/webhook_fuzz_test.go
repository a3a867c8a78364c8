package transport

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzWebhookVerify checks that a delivery is handed on exactly when its
// signature header spells the HMAC-SHA256 of its body under the secret, that
// the callback gets the body unchanged, and that nothing panics. The oracle
// computes the HMAC and its accepted spellings on its own.
//
// mode picks the signature header: 0 the fuzzed string, 1 the valid digest
// (base64 padded, or hex), 2 the valid digest spelled otherwise (base64
// unpadded, or upper-case hex), 3 the valid digest followed by the fuzzed
// string. scheme picks Shopify (base64), WooCommerce (base64, unsigned ping)
// or a hex scheme with the prefix "sha256=".
func FuzzWebhookVerify(f *testing.F) {
	const limit = 4096
	secret := []byte("fuzz-secret")
	sum := func(body []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(body)
		return m.Sum(nil)
	}
	body := []byte(`{"id":820982911946154508,"total":"10.00"}`)
	valid := base64.StdEncoding.EncodeToString(sum(body))
	other := hmac.New(sha256.New, []byte("other-secret"))
	other.Write(body)

	f.Add(body, "", uint8(1), uint8(0))                                                       // valid, padded
	f.Add(body, "", uint8(2), uint8(0))                                                       // valid, unpadded
	f.Add([]byte{}, "", uint8(1), uint8(0))                                                   // empty body, valid
	f.Add([]byte{}, "", uint8(0), uint8(0))                                                   // empty body, no signature
	f.Add(body, valid, uint8(0), uint8(0))                                                    // valid as a fuzzed string
	f.Add(body, " "+valid+"\t", uint8(0), uint8(0))                                           // surrounding blanks
	f.Add(body, valid[:len(valid)-4], uint8(0), uint8(0))                                     // truncated
	f.Add(body, valid[:42]+"d=", uint8(0), uint8(0))                                          // non-canonical padding bits
	f.Add(body, base64.StdEncoding.EncodeToString(other.Sum(nil)), uint8(0), uint8(0))        // other secret
	f.Add(body, "not base64!!", uint8(0), uint8(0))                                           // not base64
	f.Add(body, "=", uint8(3), uint8(0))                                                      // valid plus junk
	f.Add(body, strings.Repeat("A", 64<<10), uint8(0), uint8(0))                              // huge header
	f.Add(body, valid[:20]+"\n"+valid[20:], uint8(0), uint8(0))                               // line break inside
	f.Add(bytes.Repeat([]byte("x"), limit+1), "", uint8(1), uint8(0))                         // oversized, valid
	f.Add([]byte("webhook_id=17"), "", uint8(0), uint8(1))                                    // WooCommerce ping
	f.Add([]byte("webhook_id=17"), "", uint8(1), uint8(1))                                    // signed ping body
	f.Add(body, "", uint8(1), uint8(2))                                                       // hex, valid
	f.Add(body, "", uint8(2), uint8(2))                                                       // hex, upper case
	f.Add(body, "sha256="+hex.EncodeToString(sum(body))[:63]+"g", uint8(0), uint8(2))         // hex, bad digit
	f.Add(body, "SHA256="+strings.ToUpper(hex.EncodeToString(sum(body))), uint8(0), uint8(2)) // hex, prefix case

	f.Fuzz(func(t *testing.T, body []byte, fuzzed string, mode, schemeSel uint8) {
		want := sum(body)
		var scheme WebhookScheme
		var canonical, alternative string
		isHex := false
		switch schemeSel % 3 {
		case 0:
			scheme = ShopifyWebhooks
		case 1:
			scheme = WooCommerceWebhooks
		default:
			scheme = HexHMACWebhooks("hex", "X-Signature")
			scheme.Prefix = "sha256="
			scheme.IDHeader = "X-Delivery"
			isHex = true
		}
		if isHex {
			canonical = "sha256=" + hex.EncodeToString(want)
			alternative = "sha256=" + strings.ToUpper(hex.EncodeToString(want))
		} else {
			canonical = base64.StdEncoding.EncodeToString(want)
			alternative = base64.RawStdEncoding.EncodeToString(want)
		}
		header := fuzzed
		switch mode % 4 {
		case 1:
			header = canonical
		case 2:
			header = alternative
		case 3:
			header = canonical + fuzzed
		}

		// The oracle: a header is valid when, blanks trimmed, it is one of
		// the spellings of the digest (hex and its prefix in any case).
		trimmed := strings.Trim(header, " \t")
		validSig := trimmed == canonical || trimmed == alternative
		if isHex {
			validSig = strings.ToLower(trimmed) == canonical
		}
		unsigned := trimmed == ""

		var got [][]byte
		wr, err := NewWebhookReceiver(scheme, StaticWebhookSecrets(secret), func(_ context.Context, ev WebhookEvent) error {
			got = append(got, ev.Body)
			return nil
		}, WebhookMaxBodyBytes(limit))
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header[http.CanonicalHeaderKey(scheme.SignatureHeader)] = []string{header}
		req.Header.Set(scheme.IDHeader, "fuzz-delivery")
		rec := httptest.NewRecorder()
		wr.ServeHTTP(rec, req)

		switch {
		case len(body) > limit:
			if rec.Code != http.StatusRequestEntityTooLarge || len(got) != 0 {
				t.Fatalf("oversized body: status %d, %d callbacks", rec.Code, len(got))
			}
		case validSig:
			if rec.Code != http.StatusOK || len(got) != 1 {
				t.Fatalf("valid signature %q: status %d, %d callbacks", header, rec.Code, len(got))
			}
			if !bytes.Equal(got[0], body) {
				t.Fatalf("callback got %q, want %q", got[0], body)
			}
		default:
			if len(got) != 0 {
				t.Fatalf("invalid signature %q was handed on", header)
			}
			ping := unsigned && schemeSel%3 == 1 && rec.Code == http.StatusOK
			if rec.Code != http.StatusUnauthorized && !ping {
				t.Fatalf("invalid signature %q: status %d", header, rec.Code)
			}
			if strings.Contains(rec.Body.String(), canonical) || strings.Contains(rec.Body.String(), alternative) {
				t.Fatal("response reveals the expected signature")
			}
		}
	})
}
