package store

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kontor-dev/kontor"
)

// Memory is a Store that keeps everything in process: for tests, dry runs
// and embeds that can afford to start from scratch after a restart. It
// forgets nothing while it runs but what Redact erases (handled inbox
// events and finished write records stay, to catch late duplicates), so it
// grows with the traffic.
//
// It is safe for concurrent use and built for the engine's hot path: States
// and PutStates take one lock per batch, States allocates only its result
// and PutStates nothing when it replaces states.
//
// Every value it returns is a copy, and it copies what it is given (payloads
// included), so neither side can change the other's data afterwards. Times
// come back as given, except ItemState.UpdatedAt, which comes back in UTC.
type Memory struct {
	now func() time.Time

	stateMu sync.RWMutex
	cursors map[string]kontor.Cursor
	states  map[string]*stateTable

	linkMu sync.RWMutex
	links  map[kontor.Entity]*linkTable

	inboxMu   sync.Mutex
	inbox     map[inboxID]*inboxEntry
	inboxHash map[inboxHash]struct{}
	pending   map[inboxID]*inboxEntry
	inboxSeq  int64

	writeMu sync.Mutex
	writes  map[writeID]WriteRecord

	deadMu    sync.Mutex
	dead      map[int64]*DeadLetter
	deadByKey map[flowKey]int64
	lastDead  int64

	auditMu sync.RWMutex
	audit   []AuditRecord // in Seq order; Seq = index + 1
}

// MemoryOption configures a Memory.
type MemoryOption func(*Memory)

// MemoryClock sets the clock that stamps write records (CreatedAt,
// UpdatedAt) and the times a caller left zero (link UpdatedAt, inbox
// ReceivedAt, dead letter failure times, audit At), so tests can assert them
// exactly. The default is time.Now.
func MemoryClock(now func() time.Time) MemoryOption {
	return func(m *Memory) {
		if now != nil {
			m.now = now
		}
	}
}

// NewMemory returns an empty in-process Store.
func NewMemory(opts ...MemoryOption) *Memory {
	m := &Memory{
		now:       time.Now,
		cursors:   make(map[string]kontor.Cursor),
		states:    make(map[string]*stateTable),
		links:     make(map[kontor.Entity]*linkTable),
		inbox:     make(map[inboxID]*inboxEntry),
		inboxHash: make(map[inboxHash]struct{}),
		pending:   make(map[inboxID]*inboxEntry),
		writes:    make(map[writeID]WriteRecord),
		dead:      make(map[int64]*DeadLetter),
		deadByKey: make(map[flowKey]int64),
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

var _ Store = (*Memory)(nil)

// stamp returns the clock's time without a monotonic reading, so a stamped
// time compares like one read back from a database.
func (m *Memory) stamp() time.Time { return m.now().Round(0) }

// invalid returns a validation error for operation op naming the item and
// field at fault. Keys are not quoted: a customer key may be an e-mail
// address, and error texts reach logs.
func invalid(op, format string, args ...any) error {
	return kontor.NewError(kontor.KindValidation, "store "+op, fmt.Errorf(format, args...))
}

// notFound wraps ErrNotFound with what was looked up.
func notFound(op, what string) error {
	return fmt.Errorf("store %s: %s: %w", op, what, ErrNotFound)
}

// Cursor implements Store.
func (m *Memory) Cursor(ctx context.Context, flow string) (kontor.Cursor, error) {
	if err := ctx.Err(); err != nil {
		return kontor.Cursor{}, err
	}
	m.stateMu.RLock()
	c := m.cursors[flow]
	m.stateMu.RUnlock()
	return c, nil
}

// SetCursor implements Store.
func (m *Memory) SetCursor(ctx context.Context, flow string, c kontor.Cursor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if flow == "" {
		return invalid("SetCursor", "flow: empty")
	}
	m.stateMu.Lock()
	m.cursors[flow] = c
	m.stateMu.Unlock()
	return nil
}

// stateTable holds one flow's item states, laid out for a million of them:
//
//   - Entries stay in the order their keys were first put. A catalog is
//     usually read in the same order every run, so States and PutStates
//     first try the entry after the last one they found: a compare on memory
//     read in sequence, where a lookup in a million-entry map costs a cache
//     and TLB miss or two. Out of order, they fall back to the index (see
//     predictor).
//   - Nothing in it holds a pointer but the index of long keys: keys live in
//     byte chunks, short keys are map keys by value and times are stored as
//     numbers. The garbage collector then never scans the states, which
//     would otherwise cost every collection tens of milliseconds per
//     million states while the engine allocates for each item it reads.
type stateTable struct {
	short   map[shortKey]int // key → position in entries, for keys up to shortKeyLen bytes
	long    map[string]int   // the same for longer keys
	entries []stateEntry
	keys    keyArena
}

type stateEntry struct {
	fingerprint uint64
	version     int64
	sec         int64 // updatedAt in Unix seconds
	nsec        int32 // and nanoseconds
	key         keyRef
}

// shortKeyLen is the longest key held by value; SKUs and document numbers
// fit.
const shortKeyLen = 23

type shortKey struct {
	n     uint8
	bytes [shortKeyLen]byte
}

func newStateTable() *stateTable {
	return &stateTable{short: make(map[shortKey]int), long: make(map[string]int)}
}

// find returns the position of key, or -1 when it was never put. It tries
// the position p predicts first.
func (t *stateTable) find(key string, p *predictor) int {
	// A guess past the end is no miss: keys new to the flow come in order.
	if guess := p.guess(); guess >= 0 && guess < len(t.entries) {
		if t.keys.equal(t.entries[guess].key, key) {
			p.hit(guess)
			return guess
		}
		p.missed()
	}
	pos, ok := 0, false
	if len(key) <= shortKeyLen {
		pos, ok = t.short[toShortKey(key)]
	} else {
		pos, ok = t.long[key]
	}
	if !ok {
		return -1
	}
	p.found(pos)
	return pos
}

// predictor guesses that the next key of a batch is the one written after
// the last key found. After a wrong guess it skips guessing for a while,
// longer with every wrong guess in a row, so keys in no order pay almost
// nothing for the guesses, while a gap in ordered keys costs one lookup.
type predictor struct {
	next    int // the guess; -1 for none
	skip    int // keys to look up before guessing again
	backoff int // the next skip after a wrong guess
}

const maxGuessBackoff = 64

func newPredictor() predictor { return predictor{next: -1} }

func (p *predictor) guess() int {
	if p.skip > 0 {
		p.skip--
		return -1
	}
	return p.next
}

func (p *predictor) hit(pos int) { p.next, p.backoff = pos+1, 0 }

func (p *predictor) found(pos int) { p.next = pos + 1 }

func (p *predictor) missed() {
	p.backoff = min(max(1, 2*p.backoff), maxGuessBackoff)
	p.skip = p.backoff
}

// insert adds a key that find did not find.
func (t *stateTable) insert(key string, s *ItemState) {
	pos := len(t.entries)
	t.entries = append(t.entries, stateEntry{key: t.keys.add(key)})
	t.entries[pos].set(s)
	if len(key) <= shortKeyLen {
		t.short[toShortKey(key)] = pos
	} else {
		t.long[strings.Clone(key)] = pos
	}
}

func toShortKey(key string) shortKey {
	k := shortKey{n: uint8(len(key))}
	copy(k.bytes[:], key)
	return k
}

func (e *stateEntry) set(s *ItemState) {
	e.fingerprint = s.Fingerprint
	e.version = s.Version
	e.sec = s.UpdatedAt.Unix()
	e.nsec = int32(s.UpdatedAt.Nanosecond())
}

// updatedAt returns the stored time in UTC; the zero time stays zero.
func (e *stateEntry) updatedAt() time.Time {
	return time.Unix(e.sec, int64(e.nsec)).UTC()
}

// keyArena stores keys back to back in byte chunks without pointers.
type keyArena struct{ chunks [][]byte }

// keyRef is where a key is in a keyArena.
type keyRef struct{ chunk, off, len uint32 }

const (
	minKeyChunk = 4 << 10
	maxKeyChunk = 1 << 20
)

func (a *keyArena) add(key string) keyRef {
	last := len(a.chunks) - 1
	if last < 0 || len(a.chunks[last])+len(key) > cap(a.chunks[last]) {
		size := minKeyChunk
		if last >= 0 {
			size = min(2*cap(a.chunks[last]), maxKeyChunk)
		}
		a.chunks = append(a.chunks, make([]byte, 0, max(size, len(key))))
		last++
	}
	r := keyRef{chunk: uint32(last), off: uint32(len(a.chunks[last])), len: uint32(len(key))}
	a.chunks[last] = append(a.chunks[last], key...)
	return r
}

func (a *keyArena) equal(r keyRef, key string) bool {
	return int(r.len) == len(key) && string(a.chunks[r.chunk][r.off:r.off+r.len]) == key
}

// States implements Store. It takes one read lock for the whole batch and
// allocates only the result. UpdatedAt comes back in UTC.
func (m *Memory) States(ctx context.Context, flow string, keys []string) ([]ItemState, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]ItemState, len(keys))
	m.stateMu.RLock()
	defer m.stateMu.RUnlock()
	t := m.states[flow]
	if t == nil {
		for i, k := range keys {
			out[i].Key = k
		}
		return out, nil
	}
	p := newPredictor()
	for i, k := range keys {
		s := &out[i]
		s.Key = k
		pos := t.find(k, &p)
		if pos < 0 {
			continue
		}
		e := &t.entries[pos]
		s.Found = true
		s.Fingerprint = e.fingerprint
		s.Version = e.version
		s.UpdatedAt = e.updatedAt()
	}
	return out, nil
}

// PutStates implements Store. The batch is checked before any of it is
// written, so a bad item leaves the store unchanged. Replacing states
// allocates nothing; new keys are copied, so the store never pins the
// caller's buffers.
func (m *Memory) PutStates(ctx context.Context, flow string, states []ItemState) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if flow == "" {
		return invalid("PutStates", "flow: empty")
	}
	for i := range states {
		if states[i].Key == "" {
			return invalid("PutStates", "states[%d].Key: empty", i)
		}
	}
	if len(states) == 0 {
		return nil
	}
	m.stateMu.Lock()
	defer m.stateMu.Unlock()
	t := m.states[flow]
	if t == nil {
		t = newStateTable()
		m.states[flow] = t
	}
	p := newPredictor()
	for i := range states {
		s := &states[i]
		pos := t.find(s.Key, &p)
		if pos < 0 {
			t.insert(s.Key, s)
			p.found(len(t.entries) - 1)
		} else {
			t.entries[pos].set(s)
		}
	}
	return nil
}

// linkTable holds one entity's links and the reverse indexes that find a
// link by its key on either side.
type linkTable struct {
	byKey  map[string]Link
	byERP  map[string]string // ERP key → key
	byShop map[string]string // shop key → key
}

// Links implements Store.
func (m *Memory) Links(ctx context.Context, entity kontor.Entity, keys []string) ([]Link, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]Link, len(keys))
	m.linkMu.RLock()
	defer m.linkMu.RUnlock()
	t := m.links[entity]
	for i, k := range keys {
		if t != nil {
			if l, ok := t.byKey[k]; ok {
				out[i] = l
				continue
			}
		}
		out[i] = Link{Entity: entity, Key: k}
	}
	return out, nil
}

// LinkByRemote implements Store. An empty remoteKey is never found.
func (m *Memory) LinkByRemote(ctx context.Context, entity kontor.Entity, side kontor.Side, remoteKey string) (Link, error) {
	if err := ctx.Err(); err != nil {
		return Link{}, err
	}
	if side != kontor.SideERP && side != kontor.SideShop {
		return Link{}, invalid("LinkByRemote", "side: %q is neither %q nor %q", side, kontor.SideERP, kontor.SideShop)
	}
	m.linkMu.RLock()
	defer m.linkMu.RUnlock()
	if t := m.links[entity]; t != nil && remoteKey != "" {
		index := t.byERP
		if side == kontor.SideShop {
			index = t.byShop
		}
		if k, ok := index[remoteKey]; ok {
			return t.byKey[k], nil
		}
	}
	return Link{}, notFound("LinkByRemote", fmt.Sprintf("%s link by %s key", entity, side))
}

// PutLinks implements Store. Links are applied in order. A remote key
// belongs to one link: when a link takes a remote key another link of the
// entity holds, the other link loses it, so LinkByRemote stays unambiguous.
// UpdatedAt is stamped when zero.
func (m *Memory) PutLinks(ctx context.Context, links []Link) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range links {
		switch {
		case links[i].Entity == "":
			return invalid("PutLinks", "links[%d].Entity: empty", i)
		case links[i].Key == "":
			return invalid("PutLinks", "links[%d].Key: empty", i)
		}
	}
	if len(links) == 0 {
		return nil
	}
	now := m.stamp()
	m.linkMu.Lock()
	defer m.linkMu.Unlock()
	for _, l := range links {
		t := m.links[l.Entity]
		if t == nil {
			t = &linkTable{byKey: make(map[string]Link), byERP: make(map[string]string), byShop: make(map[string]string)}
			m.links[l.Entity] = t
		}
		old := t.byKey[l.Key]
		next := Link{Entity: l.Entity, Key: l.Key, ERPKey: old.ERPKey, ShopKey: old.ShopKey, Found: true, UpdatedAt: l.UpdatedAt}
		if l.ERPKey != "" {
			next.ERPKey = l.ERPKey
		}
		if l.ShopKey != "" {
			next.ShopKey = l.ShopKey
		}
		if next.UpdatedAt.IsZero() {
			next.UpdatedAt = now
		}
		t.byKey[l.Key] = next
		t.reindex(t.byERP, old.ERPKey, next.ERPKey, next, func(o *Link) { o.ERPKey = "" })
		t.reindex(t.byShop, old.ShopKey, next.ShopKey, next, func(o *Link) { o.ShopKey = "" })
	}
	return nil
}

// reindex moves l's entry in one reverse index from its old remote key to
// its new one, taking the new one from any other link that held it.
func (t *linkTable) reindex(index map[string]string, oldRemote, newRemote string, l Link, clear func(*Link)) {
	if oldRemote == newRemote {
		return
	}
	if oldRemote != "" && index[oldRemote] == l.Key {
		delete(index, oldRemote)
	}
	if newRemote == "" {
		return
	}
	if holder, ok := index[newRemote]; ok && holder != l.Key {
		o := t.byKey[holder]
		clear(&o)
		o.UpdatedAt = l.UpdatedAt
		t.byKey[holder] = o
	}
	index[newRemote] = l.Key
}

type inboxID struct{ source, id string }

type inboxHash struct {
	source string
	hash   uint64
}

type inboxEntry struct {
	ev  InboxEvent
	seq int64 // insertion order, breaks ReceivedAt ties
}

// AddInbox implements Store. Source and ID are required; a PayloadHash of 0
// means the payload was not hashed, and such an event is deduplicated by ID
// only. ReceivedAt is stamped when zero.
func (m *Memory) AddInbox(ctx context.Context, ev InboxEvent) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	switch {
	case ev.Source == "":
		return false, invalid("AddInbox", "Source: empty")
	case ev.ID == "":
		return false, invalid("AddInbox", "ID: empty")
	}
	id := inboxID{ev.Source, ev.ID}
	h := inboxHash{ev.Source, ev.PayloadHash}
	m.inboxMu.Lock()
	defer m.inboxMu.Unlock()
	if _, ok := m.inbox[id]; ok {
		return false, nil
	}
	if ev.PayloadHash != 0 {
		if _, ok := m.inboxHash[h]; ok {
			return false, nil
		}
		m.inboxHash[h] = struct{}{}
	}
	ev.Payload = bytes.Clone(ev.Payload)
	if ev.ReceivedAt.IsZero() {
		ev.ReceivedAt = m.stamp()
	}
	m.inboxSeq++
	e := &inboxEntry{ev: ev, seq: m.inboxSeq}
	m.inbox[id] = e
	if !ev.Done {
		m.pending[id] = e
	}
	return true, nil
}

// MarkInboxDone implements Store. Marking an event twice is not an error;
// marking an event never added returns ErrNotFound. A done event still
// catches its duplicates.
func (m *Memory) MarkInboxDone(ctx context.Context, source, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k := inboxID{source, id}
	m.inboxMu.Lock()
	defer m.inboxMu.Unlock()
	e, ok := m.inbox[k]
	if !ok {
		return notFound("MarkInboxDone", "inbox event of "+source)
	}
	e.ev.Done = true
	delete(m.pending, k)
	return nil
}

// PendingInbox implements Store: oldest ReceivedAt first, ties in the order
// added. A limit of 0 or less returns all pending events.
func (m *Memory) PendingInbox(ctx context.Context, limit int) ([]InboxEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.inboxMu.Lock()
	defer m.inboxMu.Unlock()
	es := make([]*inboxEntry, 0, len(m.pending))
	for _, e := range m.pending {
		es = append(es, e)
	}
	slices.SortFunc(es, func(a, b *inboxEntry) int {
		if c := a.ev.ReceivedAt.Compare(b.ev.ReceivedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	if limit > 0 && len(es) > limit {
		es = es[:limit]
	}
	out := make([]InboxEvent, len(es))
	for i, e := range es {
		out[i] = e.ev
		out[i].Payload = bytes.Clone(e.ev.Payload)
	}
	return out, nil
}

type writeID struct {
	flow, key   string
	fingerprint uint64
}

// BeginWrite implements Store. Flow, key and idempotencyKey are required.
func (m *Memory) BeginWrite(ctx context.Context, flow, key string, fingerprint uint64, idempotencyKey string) (WriteRecord, error) {
	if err := ctx.Err(); err != nil {
		return WriteRecord{}, err
	}
	switch {
	case flow == "":
		return WriteRecord{}, invalid("BeginWrite", "flow: empty")
	case key == "":
		return WriteRecord{}, invalid("BeginWrite", "key: empty")
	case idempotencyKey == "":
		return WriteRecord{}, invalid("BeginWrite", "idempotencyKey: empty")
	}
	id := writeID{flow, key, fingerprint}
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	if r, ok := m.writes[id]; ok {
		return r, nil
	}
	now := m.stamp()
	r := WriteRecord{
		Flow:           flow,
		Key:            key,
		Fingerprint:    fingerprint,
		IdempotencyKey: idempotencyKey,
		State:          WritePending,
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	m.writes[id] = r
	return r, nil
}

// FinishWrite implements Store. It returns ErrNotFound when BeginWrite never
// created the record, and stamps UpdatedAt.
func (m *Memory) FinishWrite(ctx context.Context, flow, key string, fingerprint uint64, state WriteState, target kontor.Meta) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch state {
	case WritePending, WriteDone, WriteFailed:
	default:
		return invalid("FinishWrite", "state: unknown %q", state)
	}
	id := writeID{flow, key, fingerprint}
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	r, ok := m.writes[id]
	if !ok {
		return notFound("FinishWrite", fmt.Sprintf("write record of flow %s, fingerprint %016x", flow, fingerprint))
	}
	r.State = state
	r.Target = target
	r.UpdatedAt = m.stamp()
	m.writes[id] = r
	return nil
}

type flowKey struct{ flow, key string }

// AddDeadLetter implements Store. Flow and Key are required. A new dead
// letter gets the next ID and Attempts of at least 1; a repeat keeps ID and
// FirstFailed, adds one attempt and takes every other field from dl. A zero
// LastFailed is stamped, and a new dead letter's zero FirstFailed is its
// LastFailed.
func (m *Memory) AddDeadLetter(ctx context.Context, dl DeadLetter) (DeadLetter, error) {
	if err := ctx.Err(); err != nil {
		return DeadLetter{}, err
	}
	switch {
	case dl.Flow == "":
		return DeadLetter{}, invalid("AddDeadLetter", "Flow: empty")
	case dl.Key == "":
		return DeadLetter{}, invalid("AddDeadLetter", "Key: empty")
	}
	dl.Payload = bytes.Clone(dl.Payload)
	if dl.LastFailed.IsZero() {
		dl.LastFailed = m.stamp()
	}
	k := flowKey{dl.Flow, dl.Key}
	m.deadMu.Lock()
	defer m.deadMu.Unlock()
	if id, ok := m.deadByKey[k]; ok {
		old := m.dead[id]
		dl.ID = id
		dl.FirstFailed = old.FirstFailed
		dl.Attempts = old.Attempts + 1
	} else {
		m.lastDead++
		dl.ID = m.lastDead
		dl.Attempts = max(1, dl.Attempts)
		if dl.FirstFailed.IsZero() {
			dl.FirstFailed = dl.LastFailed
		}
		m.deadByKey[k] = dl.ID
	}
	stored := dl
	m.dead[dl.ID] = &stored
	dl.Payload = bytes.Clone(dl.Payload)
	return dl, nil
}

// DeadLetters implements Store: oldest FirstFailed first, ties by ID.
func (m *Memory) DeadLetters(ctx context.Context, f DeadLetterFilter) ([]DeadLetter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.deadMu.Lock()
	defer m.deadMu.Unlock()
	candidates := m.dead
	if len(f.IDs) > 0 { // a replay of a few: look them up
		candidates = make(map[int64]*DeadLetter, len(f.IDs))
		for _, id := range f.IDs {
			if dl, ok := m.dead[id]; ok {
				candidates[id] = dl
			}
		}
	}
	var match []*DeadLetter
	for _, dl := range candidates {
		switch {
		case f.Flow != "" && dl.Flow != f.Flow,
			f.Class != "" && dl.Class != f.Class,
			f.Key != "" && dl.Key != f.Key,
			f.Keys != nil && !slices.Contains(f.Keys, dl.Key),
			!f.Since.IsZero() && dl.LastFailed.Before(f.Since):
			continue
		}
		match = append(match, dl)
	}
	slices.SortFunc(match, func(a, b *DeadLetter) int {
		if c := a.FirstFailed.Compare(b.FirstFailed); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if f.Limit > 0 && len(match) > f.Limit {
		match = match[:f.Limit]
	}
	out := make([]DeadLetter, len(match))
	for i, dl := range match {
		out[i] = *dl
		out[i].Payload = bytes.Clone(dl.Payload)
	}
	return out, nil
}

// DeleteDeadLetter implements Store.
func (m *Memory) DeleteDeadLetter(ctx context.Context, id int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.deadMu.Lock()
	defer m.deadMu.Unlock()
	if dl, ok := m.dead[id]; ok {
		delete(m.deadByKey, flowKey{dl.Flow, dl.Key})
		delete(m.dead, id)
	}
	return nil
}

// AppendAudit implements Store. Flow and Key are required; the records of
// one call get consecutive Seqs, any Seq given is ignored, and a zero At is
// stamped.
func (m *Memory) AppendAudit(ctx context.Context, recs []AuditRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range recs {
		switch {
		case recs[i].Flow == "":
			return invalid("AppendAudit", "recs[%d].Flow: empty", i)
		case recs[i].Key == "":
			return invalid("AppendAudit", "recs[%d].Key: empty", i)
		}
	}
	if len(recs) == 0 {
		return nil
	}
	now := m.stamp()
	m.auditMu.Lock()
	defer m.auditMu.Unlock()
	for _, r := range recs {
		r.Seq = int64(len(m.audit)) + 1
		if r.At.IsZero() {
			r.At = now
		}
		m.audit = append(m.audit, r)
	}
	return nil
}

// Audit implements Store. A Limit of 0 or less returns all matches.
func (m *Memory) Audit(ctx context.Context, f AuditFilter) ([]AuditRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.auditMu.RLock()
	defer m.auditMu.RUnlock()
	recs := m.audit[min(max(f.AfterSeq, 0), int64(len(m.audit))):]
	var out []AuditRecord
	for i := range recs {
		r := recs[i]
		if f.Newest {
			r = recs[len(recs)-1-i]
		}
		switch {
		case f.Flow != "" && r.Flow != f.Flow,
			f.Key != "" && r.Key != f.Key,
			!f.Since.IsZero() && r.At.Before(f.Since):
			continue
		}
		out = append(out, r)
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out, nil
}

// Redact implements Store. It holds the locks of links, inbox, dead letters
// and audit trail together, so no reader sees half an erasure. An empty
// entity or key is an error matching kontor.ErrValidation, and nothing is
// erased.
func (m *Memory) Redact(ctx context.Context, entity kontor.Entity, keys []string) (RedactCounts, error) {
	if err := ctx.Err(); err != nil {
		return RedactCounts{}, err
	}
	if entity == "" {
		return RedactCounts{}, invalid("Redact", "entity: empty")
	}
	erase := make(map[string]struct{}, len(keys))
	for i, k := range keys {
		if k == "" {
			return RedactCounts{}, invalid("Redact", "keys[%d]: empty", i)
		}
		erase[k] = struct{}{}
	}
	if len(erase) == 0 {
		return RedactCounts{}, nil
	}
	return m.redact(entity, erasure{keys: erase}), nil
}

// RedactAll implements Store, under the same locks as Redact. An empty
// entity is an error matching kontor.ErrValidation.
func (m *Memory) RedactAll(ctx context.Context, entity kontor.Entity) (RedactCounts, error) {
	if err := ctx.Err(); err != nil {
		return RedactCounts{}, err
	}
	if entity == "" {
		return RedactCounts{}, invalid("RedactAll", "entity: empty")
	}
	return m.redact(entity, erasure{all: true}), nil
}

// erasure is what redact erases of an entity: the given keys, or all of
// them.
type erasure struct {
	keys map[string]struct{}
	all  bool
}

// key reports whether a record with key k is erased.
func (e erasure) key(k string) bool {
	if e.all {
		return true
	}
	_, ok := e.keys[k]
	return ok
}

// event reports whether an inbox event is erased: of all of an entity,
// every event still holding a key or payload.
func (e erasure) event(ev *InboxEvent) bool {
	if e.all {
		return ev.Key != "" || ev.Payload != nil
	}
	_, ok := e.keys[ev.Key]
	return ok
}

// audit reports whether an audit record is erased: of all of an entity,
// every record that names a key, so neither an erased record's
// placeholder nor the record of an erasure.
func (e erasure) audit(r *AuditRecord) bool {
	if e.all {
		return r.Op != OpRedact && !strings.HasPrefix(r.Key, redactedPrefix)
	}
	_, ok := e.keys[r.Key]
	return ok
}

func (m *Memory) redact(entity kontor.Entity, e erasure) RedactCounts {
	m.linkMu.Lock()
	defer m.linkMu.Unlock()
	m.inboxMu.Lock()
	defer m.inboxMu.Unlock()
	m.deadMu.Lock()
	defer m.deadMu.Unlock()
	m.auditMu.Lock()
	defer m.auditMu.Unlock()

	var c RedactCounts
	for id, dl := range m.dead {
		if dl.Entity == entity && e.key(dl.Key) {
			delete(m.deadByKey, flowKey{dl.Flow, dl.Key})
			delete(m.dead, id)
			c.DeadLetters++
		}
	}
	for _, ie := range m.inbox {
		if ie.ev.Entity == entity && e.event(&ie.ev) {
			ie.ev.Key, ie.ev.Payload = "", nil // the hash stays: it catches redeliveries
			c.InboxEvents++
		}
	}
	if t := m.links[entity]; t != nil {
		if e.all {
			c.Links = len(t.byKey)
			delete(m.links, entity)
		} else {
			for k := range e.keys {
				l, ok := t.byKey[k]
				if !ok {
					continue
				}
				if l.ERPKey != "" && t.byERP[l.ERPKey] == k {
					delete(t.byERP, l.ERPKey)
				}
				if l.ShopKey != "" && t.byShop[l.ShopKey] == k {
					delete(t.byShop, l.ShopKey)
				}
				delete(t.byKey, k)
				c.Links++
			}
		}
	}
	for i := range m.audit {
		r := &m.audit[i]
		if r.Entity == entity && e.audit(r) {
			placeholder := RedactedKey(r.Flow, r.Seq)
			r.Error = strings.ReplaceAll(r.Error, r.Key, placeholder)
			r.Key = placeholder
			c.AuditRecords++
		}
	}
	return c
}
