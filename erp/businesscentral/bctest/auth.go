package bctest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The token endpoint speaks Microsoft Entra ID's OAuth 2.0 v2.0 endpoint
// for the client credentials grant: a form POST of grant_type, client_id,
// client_secret (or HTTP Basic client authentication) and scope; the
// answer {token_type, expires_in, ext_expires_in, access_token}; errors
// as {error, error_description, error_codes, timestamp, trace_id,
// correlation_id, error_uri} with the AADSTS codes Entra ID uses.

type token struct {
	client  string
	expires time.Time
}

type authState struct {
	mu       sync.Mutex
	tokens   map[string]*token
	requests int
}

// ExpireTokens makes every access token issued so far expire now: the
// next API request with one gets 401, and the client must fetch a new
// token.
func (s *Server) ExpireTokens() {
	s.auth.mu.Lock()
	defer s.auth.mu.Unlock()
	past := s.now().Add(-time.Second)
	for _, t := range s.auth.tokens {
		t.expires = past
	}
}

// TokenRequests returns how many requests the token endpoint received.
func (s *Server) TokenRequests() int {
	s.auth.mu.Lock()
	defer s.auth.mu.Unlock()
	return s.auth.requests
}

// IssueToken returns a valid access token without a token request, for
// tests that call the API with a plain HTTP client.
func (s *Server) IssueToken() string {
	return s.issue(s.cfg.clientID)
}

func (s *Server) issue(client string) string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	tok := "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.bctest." + base64.RawURLEncoding.EncodeToString(b)
	s.auth.mu.Lock()
	s.auth.tokens[tok] = &token{client: client, expires: s.now().Add(s.cfg.tokenLifetime)}
	s.auth.mu.Unlock()
	return tok
}

type entraError struct {
	status int
	err    string
	code   int
	desc   string
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	s.auth.mu.Lock()
	s.auth.requests++
	s.auth.mu.Unlock()

	tenant := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/oauth2/v2.0/token")
	var e *entraError
	switch {
	case r.Method != http.MethodPost:
		e = &entraError{http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts POST requests. Received a " + r.Method + " request."}
	case !strings.EqualFold(tenant, s.cfg.tenant):
		e = &entraError{http.StatusBadRequest, "invalid_request", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant)}
	}
	if e == nil {
		e = s.checkTokenRequest(r)
	}
	if e != nil {
		writeEntraError(w, e)
		return
	}
	client := r.PostForm.Get("client_id")
	if u, _, ok := r.BasicAuth(); ok && client == "" {
		client = u
	}
	tok := s.issue(client)
	secs := int(s.cfg.tokenLifetime/time.Second) - 1
	if secs < 0 {
		secs = 0
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": tok,
	})
}

func (s *Server) checkTokenRequest(r *http.Request) *entraError {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return &entraError{http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'."}
	}
	if err := r.ParseForm(); err != nil {
		return &entraError{http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'."}
	}
	f := r.PostForm
	id, secret := f.Get("client_id"), f.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		// client_secret_basic: the id and secret are form-urlencoded.
		if id == "" {
			id = u
		}
		if secret == "" {
			secret = p
		}
	}
	missing := func(name string) *entraError {
		return &entraError{http.StatusBadRequest, "invalid_request", 900144, fmt.Sprintf("The request body must contain the following parameter: '%s'.", name)}
	}
	switch {
	case f.Get("grant_type") == "":
		return missing("grant_type")
	case f.Get("grant_type") != "client_credentials":
		return &entraError{http.StatusBadRequest, "unsupported_grant_type", 70003, fmt.Sprintf("The app requested an unsupported grant type '%s'.", f.Get("grant_type"))}
	case id == "":
		return missing("client_id")
	case id != s.cfg.clientID:
		return &entraError{http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", id, s.cfg.tenant)}
	case secret == "":
		return &entraError{http.StatusUnauthorized, "invalid_client", 7000216, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type."}
	case secret != s.cfg.secret:
		return &entraError{http.StatusUnauthorized, "invalid_client", 7000215, fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", id)}
	case f.Get("scope") == "":
		return missing("scope")
	}
	for _, sc := range strings.Fields(f.Get("scope")) {
		if sc == Scope {
			return nil
		}
	}
	sc := f.Get("scope")
	if !strings.HasSuffix(sc, "/.default") {
		return &entraError{http.StatusBadRequest, "invalid_scope", 1002012, fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", sc)}
	}
	return &entraError{http.StatusBadRequest, "invalid_resource", 500011, fmt.Sprintf("The resource principal named %s was not found in the tenant named %s.", strings.TrimSuffix(sc, "/.default"), s.cfg.tenant)}
}

func writeEntraError(w http.ResponseWriter, e *entraError) {
	now := time.Now().UTC()
	trace := "0a1b2c3d-0000-4000-8000-" + leftPad(uint64(now.UnixNano()%1e12))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error": e.err,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
			e.code, e.desc, trace, trace, now.Format("2006-01-02 15:04:05Z")),
		"error_codes":    []int{e.code},
		"timestamp":      now.Format("2006-01-02 15:04:05Z"),
		"trace_id":       trace,
		"correlation_id": trace,
		"error_uri":      fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", e.code),
	})
}

// authenticate checks the bearer token and returns the client it belongs
// to, or the 401 Business Central answers, with its Bearer challenge.
func (s *Server) authenticate(r *http.Request) (string, *apiError) {
	h := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	challenge := fmt.Sprintf(`Bearer authorization_uri="%s/%s/oauth2/authorize", resource_id="https://api.businesscentral.dynamics.com"`, s.http.URL, s.cfg.tenant)
	reject := func(detail string) *apiError {
		e := &apiError{status: http.StatusUnauthorized, code: codeInvalidCredential, message: "The server has rejected the client credentials.", challenge: challenge}
		if detail != "" {
			e.challenge += `, error="invalid_token", error_description="` + detail + `"`
		}
		return e
	}
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", reject("")
	}
	s.auth.mu.Lock()
	t := s.auth.tokens[tok]
	var client string
	var expires time.Time
	if t != nil {
		client, expires = t.client, t.expires
	}
	s.auth.mu.Unlock()
	switch {
	case t == nil:
		return "", reject("The access token is invalid")
	case !s.now().Before(expires):
		return "", reject("The access token has expired")
	}
	return client, nil
}
