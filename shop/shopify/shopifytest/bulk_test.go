package shopifytest_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
)

const runBulkQuery = `mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id status } userErrors { field message code } } }`

// pollBulk polls bulkOperation(id) until it leaves CREATED and RUNNING.
func pollBulk(t *testing.T, s *shopifytest.Server, id any) map[string]any {
	t.Helper()
	var op map[string]any
	require.Eventually(t, func() bool {
		r := gql(t, s, `query($id: ID!) { bulkOperation(id: $id) { id status errorCode objectCount rootObjectCount fileSize url partialDataUrl completedAt } }`, map[string]any{"id": id})
		op, _ = at(r.Data, "bulkOperation").(map[string]any)
		return op["status"] != "CREATED" && op["status"] != "RUNNING"
	}, 5*time.Second, 5*time.Millisecond)
	return op
}

func jsonl(t *testing.T, url string) []map[string]any {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out []map[string]any
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m))
		out = append(out, m)
	}
	return out
}

func TestBulkQueryLifecycle(t *testing.T) {
	s := shopifytest.New(shopifytest.WithBulkOperationDelay(20 * time.Millisecond))
	defer s.Close()
	seedCatalog(t, s, 3)
	in := newInbox(t, s.WebhookSecret())
	_, err := s.Subscribe("BULK_OPERATIONS_FINISH", in.URL)
	require.NoError(t, err)

	// The query must have a connection and no deeper nesting than two.
	r := gql(t, s, runBulkQuery, map[string]any{"q": `{ shop { name } }`})
	assert.Equal(t, "INVALID", at(r.Data, "bulkOperationRunQuery", "userErrors", 0, "code"))
	r = gql(t, s, runBulkQuery, map[string]any{"q": `{ products { edges { node { id bogus } } } }`})
	assert.Equal(t, "INVALID", at(r.Data, "bulkOperationRunQuery", "userErrors", 0, "code"))

	q := `{ products { edges { node { id title variants { edges { node { id sku inventoryItem { id } } } } } } } }`
	r = gql(t, s, runBulkQuery, map[string]any{"q": q})
	op := at(r.Data, "bulkOperationRunQuery", "bulkOperation")
	require.NotNil(t, op, string(r.Raw))
	assert.Equal(t, "CREATED", at(op, "status"))
	r = gql(t, s, runBulkQuery, map[string]any{"q": q})
	assert.Equal(t, "OPERATION_IN_PROGRESS", at(r.Data, "bulkOperationRunQuery", "userErrors", 0, "code"))

	done := pollBulk(t, s, at(op, "id"))
	assert.Equal(t, "COMPLETED", done["status"])
	assert.Equal(t, "9", done["objectCount"])
	assert.Equal(t, "3", done["rootObjectCount"])
	lines := jsonl(t, done["url"].(string))
	require.Len(t, lines, 9)
	// Parents come first; children carry __parentId.
	assert.Equal(t, "Shirt 000", lines[0]["title"])
	assert.Nil(t, lines[0]["__parentId"])
	assert.Nil(t, lines[0]["variants"], "nested connections become lines of their own")
	assert.Equal(t, "SKU-000-S", lines[1]["sku"])
	assert.Equal(t, lines[0]["id"], lines[1]["__parentId"])
	assert.NotNil(t, at(lines[1], "inventoryItem", "id"))
	assert.Equal(t, lines[0]["id"], lines[2]["__parentId"])
	assert.Equal(t, lines[3]["id"], lines[4]["__parentId"])

	r = gql(t, s, `{ currentBulkOperation { id status url } }`, nil)
	assert.Equal(t, at(op, "id"), at(r.Data, "currentBulkOperation", "id"))
	require.NoError(t, s.WaitForWebhooks(t.Context()))
	ev, ok := in.event("bulk_operations/finish")
	require.True(t, ok)
	var fin map[string]any
	require.NoError(t, json.Unmarshal(ev.Body, &fin))
	assert.Equal(t, at(op, "id"), fin["admin_graphql_api_id"])
	assert.Equal(t, "completed", fin["status"])

	// The result URL is signed; without the signature it is refused.
	resp, err := http.Get(strings.Split(done["url"].(string), "?")[0])
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	// A failure on demand, with partial data.
	s.FailNextBulkOperation("TIMEOUT")
	r = gql(t, s, runBulkQuery, map[string]any{"q": `{ productVariants { edges { node { id sku } } } }`})
	failed := pollBulk(t, s, at(r.Data, "bulkOperationRunQuery", "bulkOperation", "id"))
	assert.Equal(t, "FAILED", failed["status"])
	assert.Equal(t, "TIMEOUT", failed["errorCode"])
	assert.Nil(t, failed["url"])
	assert.Len(t, jsonl(t, failed["partialDataUrl"].(string)), 3)
}

func TestBulkMutationWithStagedUpload(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	r := gql(t, s, `mutation { stagedUploadsCreate(input: [{resource: BULK_MUTATION_VARIABLES, filename: "vars.jsonl", mimeType: "text/jsonl", httpMethod: POST}]) {
	  stagedTargets { url resourceUrl parameters { name value } } userErrors { field message } } }`, nil)
	target := at(r.Data, "stagedUploadsCreate", "stagedTargets", 0)
	require.NotNil(t, target, string(r.Raw))
	var key string
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range at(target, "parameters").([]any) {
		name, value := at(p, "name").(string), at(p, "value").(string)
		if name == "key" {
			key = value
		}
		require.NoError(t, mw.WriteField(name, value))
	}
	fw, err := mw.CreateFormFile("file", "vars.jsonl")
	require.NoError(t, err)
	for i, erp := range []string{"P-1", "P-2", "P-3"} {
		line, _ := json.Marshal(map[string]any{
			"identifier": map[string]any{"customId": map[string]any{"namespace": "erp", "key": "id", "value": erp}},
			"input":      map[string]any{"title": "Bulk " + erp, "productOptions": []any{map[string]any{"name": "Title", "values": []any{map[string]any{"name": "Default Title"}}}}, "variants": []any{map[string]any{"sku": erp, "price": "9.99", "optionValues": []any{map[string]any{"optionName": "Title", "name": "Default Title"}}}}},
		})
		if i == 1 {
			line = []byte(`{"input": {"title": ""}}`) // a line the mutation refuses
		}
		_, _ = fw.Write(append(line, '\n'))
	}
	require.NoError(t, mw.Close())
	resp, err := http.Post(at(target, "url").(string), mw.FormDataContentType(), &body)
	require.NoError(t, err)
	xml, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(xml))
	assert.Contains(t, string(xml), "<Key>"+key+"</Key>")

	m := `mutation call($input: ProductSetInput!, $identifier: ProductSetIdentifiers) { productSet(input: $input, identifier: $identifier) { product { id } userErrors { message } } }`
	r = gql(t, s, `mutation($m: String!, $path: String!) { bulkOperationRunMutation(mutation: $m, stagedUploadPath: $path) { bulkOperation { id status type } userErrors { code message } } }`,
		map[string]any{"m": m, "path": "tmp/not/there"})
	assert.Equal(t, "NO_SUCH_FILE", at(r.Data, "bulkOperationRunMutation", "userErrors", 0, "code"))
	r = gql(t, s, `mutation($m: String!, $path: String!) { bulkOperationRunMutation(mutation: $m, stagedUploadPath: $path) { bulkOperation { id status type } userErrors { code message } } }`,
		map[string]any{"m": m, "path": key})
	op := at(r.Data, "bulkOperationRunMutation", "bulkOperation")
	require.NotNil(t, op, string(r.Raw))
	done := pollBulk(t, s, at(op, "id"))
	assert.Equal(t, "COMPLETED", done["status"])
	lines := jsonl(t, done["url"].(string))
	require.Len(t, lines, 3)
	assert.Equal(t, json.Number("0"), json.Number(jsonString(lines[0]["__lineNumber"])))
	assert.NotNil(t, at(lines[0], "data", "productSet", "product", "id"))
	assert.NotEmpty(t, at(lines[1], "data", "productSet", "userErrors"))
	assert.Len(t, s.Products(), 2)
	p, ok := s.Product("P-3")
	require.True(t, ok)
	assert.Equal(t, "Bulk P-3", p.Title)
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
