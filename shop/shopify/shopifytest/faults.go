package shopifytest

import (
	"fmt"
	"slices"
	"strings"
)

// faults are the failures a test has asked for; they live under statsMu.
type faults struct {
	failStatus  int
	failCount   int
	fieldFaults []fieldFault
	bulkFail    string // error code of the next bulk operation that fails
	revoked     bool
}

type fieldFault struct {
	field   string
	message string
	code    string
	left    int
}

// FailNext makes the next n GraphQL requests fail with the HTTP status
// (such as 500, 502, 503 or 429) before they are authenticated or charged.
// A 429 carries Retry-After: 2.0, as Shopify's REST throttle does; every
// answer has a JSON body {"errors": "<status text>"}.
func (s *Server) FailNext(n, status int) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.faults.failStatus, s.faults.failCount = status, n
}

func (s *Server) takeFault() (int, bool) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	if s.faults.failCount <= 0 {
		return 0, false
	}
	s.faults.failCount--
	return s.faults.failStatus, true
}

// FailField makes the next n responses whose data hold the response key
// field (a field name or alias, such as "customer") answer partially: each
// occurrence is set to null and reported in errors with its path, the
// message and extensions {"code": code}, the way Shopify reports, say, a
// field the app's scopes do not cover ("Access denied for customer field.",
// ACCESS_DENIED) while the rest of the data is delivered.
func (s *Server) FailField(field, message, code string, n int) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.faults.fieldFaults = append(s.faults.fieldFaults, fieldFault{field: field, message: message, code: code, left: n})
}

// takeFieldFault applies a pending field fault to data (in place) and
// returns the errors to add; nil when none applied.
func (s *Server) takeFieldFault(data any) []any {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	var errs []any
	for i := range s.faults.fieldFaults {
		ff := &s.faults.fieldFaults[i]
		if ff.left <= 0 {
			continue
		}
		var paths [][]any
		nullKey(data, ff.field, nil, &paths)
		if len(paths) == 0 {
			continue
		}
		slices.SortFunc(paths, func(a, b []any) int { return strings.Compare(fmt.Sprint(a...), fmt.Sprint(b...)) })
		ff.left--
		for _, p := range paths {
			e := map[string]any{"message": ff.message, "path": p}
			if ff.code != "" {
				e["extensions"] = map[string]any{"code": ff.code}
			}
			errs = append(errs, e)
		}
	}
	s.faults.fieldFaults = slices.DeleteFunc(s.faults.fieldFaults, func(f fieldFault) bool { return f.left <= 0 })
	return errs
}

// nullKey sets every value under key in v to null and records its path.
func nullKey(v any, key string, path []any, paths *[][]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := append(slices.Clone(path), k)
			if k == key {
				x[k] = nil
				*paths = append(*paths, p)
				continue
			}
			nullKey(e, key, p, paths)
		}
	case []any:
		for i, e := range x {
			nullKey(e, key, append(slices.Clone(path), i), paths)
		}
	}
}

// FailNextBulkOperation makes the next bulk operation end FAILED with the
// BulkOperationErrorCode code (ACCESS_DENIED, INTERNAL_SERVER_ERROR or
// TIMEOUT). Its partial result, the first half of the lines, is served at
// partialDataUrl.
func (s *Server) FailNextBulkOperation(code string) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.faults.bulkFail = code
}

func (s *Server) takeBulkFault() string {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	c := s.faults.bulkFail
	s.faults.bulkFail = ""
	return c
}

// RevokeToken makes every request fail with 401 until RestoreToken, as
// after the app was uninstalled.
func (s *Server) RevokeToken() {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.faults.revoked = true
}

// RestoreToken undoes RevokeToken.
func (s *Server) RestoreToken() {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.faults.revoked = false
}
