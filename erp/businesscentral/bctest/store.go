package bctest

import (
	"encoding/base64"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// record is one stored entity. vals holds the set properties (absent ones
// read as their type's zero value) and hidden fields whose names start
// with "_", which are never rendered.
type record struct {
	id      string
	vals    map[string]any
	version uint64 // row version: the ETag changes with it
}

func (r *record) clone() *record {
	return &record{id: r.id, vals: maps.Clone(r.vals), version: r.version}
}

// table holds the records of one entity set of one company, with an index
// by parent for the sets addressed through a parent (lines, variants).
type table struct {
	rows     map[string]*record
	fk       string                        // the parent property, or ""
	byParent map[string]map[string]*record // parent id → id → record
}

// fkOf names the parent property of the sets indexed by it.
var fkOf = map[string]string{
	setOrderLines: "documentId", setCreditMemoLines: "documentId", setInvoiceLines: "documentId", setShipmentLines: "documentId",
	setItemVariants: "itemId",
}

func (t *table) set(r *record) {
	if t.fk != "" {
		if old := t.rows[r.id]; old != nil {
			t.unindex(old)
		}
		p := getStr(r, t.fk)
		if t.byParent[p] == nil {
			t.byParent[p] = map[string]*record{}
		}
		t.byParent[p][r.id] = r
	}
	t.rows[r.id] = r
}

func (t *table) remove(id string) {
	if old := t.rows[id]; old != nil && t.fk != "" {
		t.unindex(old)
	}
	delete(t.rows, id)
}

func (t *table) unindex(r *record) {
	p := getStr(r, t.fk)
	delete(t.byParent[p], r.id)
	if len(t.byParent[p]) == 0 {
		delete(t.byParent, p)
	}
}

// all returns the records in id order (callers sort as they need).
func (t *table) all() []*record {
	out := make([]*record, 0, len(t.rows))
	for _, r := range t.rows {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// company is one company with its tables and number series.
type company struct {
	rec    *record
	tables map[string]*table
	series map[string]int
}

func (c *company) id() string   { return c.rec.id }
func (c *company) name() string { return c.rec.vals["name"].(string) }

func (c *company) table(set string) *table {
	t := c.tables[set]
	if t == nil {
		t = &table{rows: make(map[string]*record), fk: fkOf[set]}
		if t.fk != "" {
			t.byParent = map[string]map[string]*record{}
		}
		c.tables[set] = t
	}
	return t
}

// state is the tenant's data. Stored records are never changed in place:
// a change stores a changed copy, so that the undo log of a $batch with
// Isolation: snapshot can put the old one back. The maps taxRates and
// pictures are replaced, not changed, for the same reason.
type state struct {
	companies  []*company
	rowVersion uint64
	idSeq      uint64
	lastStamp  time.Time
	taxRates   map[string]decimal.Decimal
	pictures   map[string][]byte // item id → picture content
	undo       *undoLog
}

// undoLog records what a snapshot transaction replaced.
type undoLog struct {
	entries    []undoEntry
	seen       map[*table]map[string]bool
	rowVersion uint64
	idSeq      uint64
	lastStamp  time.Time
	series     []map[string]int
	taxRates   map[string]decimal.Decimal
	pictures   map[string][]byte
}

type undoEntry struct {
	t    *table
	id   string
	prev *record // nil: the row did not exist
}

// beginUndo starts recording for a rollback.
func (st *state) beginUndo() {
	u := &undoLog{seen: map[*table]map[string]bool{}, rowVersion: st.rowVersion, idSeq: st.idSeq, lastStamp: st.lastStamp,
		taxRates: st.taxRates, pictures: st.pictures}
	for _, c := range st.companies {
		u.series = append(u.series, maps.Clone(c.series))
	}
	st.undo = u
}

// record notes the row a write is about to replace, once per row.
func (u *undoLog) record(t *table, id string) {
	if u == nil {
		return
	}
	if u.seen[t] == nil {
		u.seen[t] = map[string]bool{}
	}
	if u.seen[t][id] {
		return
	}
	u.seen[t][id] = true
	u.entries = append(u.entries, undoEntry{t: t, id: id, prev: t.rows[id]})
}

// endUndo stops recording; with rollback it restores what was recorded.
func (st *state) endUndo(rollback bool) {
	u := st.undo
	st.undo = nil
	if u == nil || !rollback {
		return
	}
	for i := len(u.entries) - 1; i >= 0; i-- {
		e := u.entries[i]
		if e.prev == nil {
			e.t.remove(e.id)
		} else {
			e.t.set(e.prev)
		}
	}
	st.rowVersion, st.idSeq, st.lastStamp = u.rowVersion, u.idSeq, u.lastStamp
	st.taxRates, st.pictures = u.taxRates, u.pictures
	for i, c := range st.companies {
		c.series = u.series[i]
	}
}

func (st *state) company(idOrName string) *company {
	for _, c := range st.companies {
		if strings.EqualFold(c.id(), idOrName) || c.name() == idOrName {
			return c
		}
	}
	return nil
}

// idNamespace makes the fake's GUIDs deterministic: the n-th id of every
// server is the same.
var idNamespace = uuid.MustParse("6f1c3c2e-4b0e-4d7a-9d7e-2b6f3a1c0b5e")

func (st *state) newID() string {
	st.idSeq++
	return uuid.NewSHA1(idNamespace, []byte(strconv.FormatUint(st.idSeq, 10))).String()
}

// nextVersion returns the next row version.
func (st *state) nextVersion() uint64 {
	st.rowVersion++
	return st.rowVersion
}

// stamp returns the modification time for a change now: the clock's time
// in milliseconds (Business Central's precision), but always after the
// previous stamp, so that every change has its own lastModifiedDateTime
// and a delta read with "ge" or "gt" is exact.
func (st *state) stamp(now time.Time) time.Time {
	t := now.UTC().Truncate(time.Millisecond)
	if !t.After(st.lastStamp) {
		t = st.lastStamp.Add(time.Millisecond)
	}
	st.lastStamp = t
	return t
}

// etag renders a row version as Business Central does: a weak ETag whose
// value is base64 of '<length>;<number>;00;'.
func etag(version uint64) string {
	n := strconv.FormatUint(1206304221977147068+version*7919, 10)
	inner := fmt.Sprintf("'%d;%s;00;'", len(n), n)
	return `W/"` + base64.StdEncoding.EncodeToString([]byte(inner)) + `"`
}

// nextNumber draws the next number of a number series.
func (c *company) nextNumber(series string) string {
	start := map[string]int{
		"customer": 10, "item": 70000, "salesOrder": 101001, "salesShipment": 102001,
		"salesCreditMemo": 104001, "salesInvoice": 102001, "postedSalesInvoice": 103001, "ledger": 0,
	}[series]
	n, ok := c.series[series]
	if !ok {
		n = start
	} else {
		n++
		if series == "customer" {
			n += 9 // C00010, C00020, …
		}
	}
	c.series[series] = n
	switch series {
	case "customer":
		return fmt.Sprintf("C%05d", n)
	case "salesOrder":
		return fmt.Sprintf("S-ORD%d", n)
	case "salesShipment":
		return fmt.Sprintf("S-SHPT%d", n)
	case "salesCreditMemo":
		return fmt.Sprintf("S-CR%d", n)
	case "salesInvoice":
		return fmt.Sprintf("S-INV%d", n)
	case "postedSalesInvoice":
		return fmt.Sprintf("PS-INV%d", n)
	}
	return strconv.Itoa(n)
}

// Value helpers. Stored values are string (strings, GUIDs, enums, dates),
// bool, decimal.Decimal, int64 and time.Time.

var zeroGUID = "00000000-0000-0000-0000-000000000000"

func zeroValue(k kind) any {
	switch k {
	case kGUID:
		return zeroGUID
	case kBool:
		return false
	case kDecimal:
		return decimal.Zero
	case kInt:
		return int64(0)
	case kDate:
		return "0001-01-01"
	case kDateTime:
		return time.Time{}
	case kEnum:
		return ""
	}
	return ""
}

// get returns the value of a property, its zero value when unset.
func get(r *record, p *prop) any {
	if v, ok := r.vals[p.name]; ok {
		return v
	}
	return zeroValue(p.kind)
}

func getStr(r *record, name string) string {
	s, _ := r.vals[name].(string)
	return s
}

func getDec(r *record, name string) decimal.Decimal {
	d, _ := r.vals[name].(decimal.Decimal)
	return d
}

func getBool(r *record, name string) bool {
	b, _ := r.vals[name].(bool)
	return b
}

func getInt(r *record, name string) int64 {
	i, _ := r.vals[name].(int64)
	return i
}

func getTime(r *record, name string) time.Time {
	t, _ := r.vals[name].(time.Time)
	return t
}

func isZeroGUID(s string) bool { return s == "" || s == zeroGUID }

func formatDateTime(t time.Time) string {
	if t.IsZero() {
		return "0001-01-01T00:00:00Z"
	}
	return t.UTC().Format("2006-01-02T15:04:05.999Z07:00")
}
