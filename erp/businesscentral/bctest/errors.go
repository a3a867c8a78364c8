package bctest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// apiError is an error response in Business Central's shape:
// {"error":{"code":"…","message":"…  CorrelationId:  ….}}.
type apiError struct {
	status     int
	code       string
	message    string
	retryAfter time.Duration
	challenge  string // WWW-Authenticate of a 401
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// Business Central's codes for the errors the fake returns.
const (
	codeBadRequest        = "BadRequest"
	codeNotFound          = "BadRequest_NotFound"
	codeMethodNotAllowed  = "BadRequest_MethodNotAllowed"
	codeInvalidToken      = "BadRequest_InvalidToken"
	codeInvalidOperation  = "BadRequest_InvalidOperation"
	codeEntityChanged     = "Request_EntityChanged"
	codeRecordNotFound    = "Internal_RecordNotFound"
	codeSameKeyExists     = "Internal_EntityWithSameKeyExists"
	codeTableRelation     = "Internal_InvalidTableRelation"
	codeCompanyNotFound   = "Internal_CompanyNotFound"
	codeDialog            = "Application_DialogException"
	codeFieldValidation   = "Application_FieldValidationException"
	codeStringLength      = "Application_StringExceededLength"
	codeTooManyRequests   = "Application_TooManyRequests"
	codeInvalidCredential = "Authentication_InvalidCredentials"
	codeUnknown           = "Unknown"
	codeServerError       = "Internal_ServerError"
	codeUnavailable       = "Internal_ServiceUnavailable"
)

// defaultFault fills the code and message Business Central sends with a
// status, for injected faults.
func defaultFault(status int) (code, message string) {
	switch status {
	case http.StatusTooManyRequests:
		return codeTooManyRequests, "Too many requests reached.  Actual (6001).  Maximum (6000)."
	case http.StatusServiceUnavailable, http.StatusBadGateway:
		return codeUnavailable, "The service is temporarily unavailable. Please try again later."
	case http.StatusGatewayTimeout, http.StatusRequestTimeout:
		return "RequestTimeout", "The operation has timed out."
	case http.StatusUnauthorized:
		return codeInvalidCredential, "The server has rejected the client credentials."
	case http.StatusNotFound:
		return codeNotFound, "The requested resource was not found."
	case http.StatusConflict:
		return codeEntityChanged, "Another user has already changed the record."
	case http.StatusPreconditionFailed:
		return codeEntityChanged, "Another user has already changed the record."
	case http.StatusBadRequest:
		return codeBadRequest, "The request is invalid."
	}
	if status >= 500 {
		return codeServerError, "An unexpected error occurred on the server."
	}
	return codeUnknown, http.StatusText(status)
}

// body renders the error body, with the correlation id Business Central
// appends to every message.
func (e *apiError) body(correlation string) []byte {
	var b struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	b.Error.Code = e.code
	b.Error.Message = e.message + "  CorrelationId:  " + correlation + "."
	out, _ := json.Marshal(b)
	return out
}

func (e *apiError) response(correlation string) result {
	h := http.Header{}
	h.Set("Content-Type", "application/json; odata.metadata=minimal")
	h.Set("OData-Version", "4.0")
	if e.challenge != "" {
		h.Set("WWW-Authenticate", e.challenge)
	}
	if e.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((e.retryAfter+time.Second-1)/time.Second)))
	}
	return result{status: e.status, header: h, body: e.body(correlation)}
}
