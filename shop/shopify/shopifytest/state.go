package shopifytest

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The records the fake keeps. All of them live under Server.mu: a GraphQL
// query runs under the read lock, a mutation, a seeding and a driving call
// under the write lock, so resolvers read and write the records without
// locking of their own.

// idBase is the first numeric ID handed out. It lies above 2^53, so a client
// that decodes an ID (a GID's number, a legacyResourceId, a webhook's "id")
// through a float64 loses digits and fails its tests.
const idBase int64 = 1<<53 + 1000

type state struct {
	seq   int64
	nodes map[string]any // every record by its GID

	shop shopInfo

	locations   []*location
	products    []*product
	collections []*collection
	customers   []*customer
	companies   []*company
	orders      []*order
	catalogs    []*catalog
	priceLists  []*priceList
	webhooks    []*webhookSub
	bulkOps     []*bulkOp

	orderNumber int
	staged      map[string]*stagedUpload
	idem        map[string]*idemRecord
	groups      map[string]*adjustmentGroup
}

func newState() *state {
	return &state{
		seq:         idBase,
		nodes:       map[string]any{},
		staged:      map[string]*stagedUpload{},
		idem:        map[string]*idemRecord{},
		groups:      map[string]*adjustmentGroup{},
		orderNumber: 1000,
	}
}

// newID returns the next GID of kind and its number.
func (st *state) newID(kind string) (string, int64) {
	st.seq++
	return gid(kind, st.seq), st.seq
}

func gid(kind string, n int64) string {
	return "gid://shopify/" + kind + "/" + strconv.FormatInt(n, 10)
}

// gidNumber returns the number of a GID ("gid://shopify/Product/12" → 12),
// ignoring a query part.
func gidNumber(id string) int64 {
	if i := strings.IndexByte(id, '?'); i >= 0 {
		id = id[:i]
	}
	n, _ := strconv.ParseInt(id[strings.LastIndexByte(id, '/')+1:], 10, 64)
	return n
}

// gidKind returns the type part of a GID ("Product").
func gidKind(id string) string {
	rest, ok := strings.CutPrefix(id, "gid://shopify/")
	if !ok {
		return ""
	}
	kind, _, _ := strings.Cut(rest, "/")
	return kind
}

// lookup returns the record of type T stored under id.
func lookup[T any](st *state, id string) (T, bool) {
	v, ok := st.nodes[id].(T)
	return v, ok
}

type shopInfo struct {
	id            string
	name          string
	email         string
	domain        string
	currency      string
	timezone      string
	taxesIncluded bool
}

type address struct {
	id           string
	firstName    string
	lastName     string
	company      string
	address1     string
	address2     string
	city         string
	province     string
	provinceCode string
	country      string
	countryCode  string
	zip          string
	phone        string
}

type location struct {
	id        string
	num       int64
	name      string
	active    bool
	address   address
	createdAt time.Time
	updatedAt time.Time
}

type product struct {
	id          string
	num         int64
	title       string
	handle      string
	descHTML    string
	vendor      string
	productType string
	status      string
	tags        []string
	template    string
	giftCard    bool
	seoTitle    string
	seoDesc     string
	options     []*option
	variants    []*variant
	media       []*media
	metafields  []*metafield
	collections []string // collection IDs
	createdAt   time.Time
	updatedAt   time.Time
	publishedAt time.Time
}

type option struct {
	id     string
	name   string
	values []*optionValue
}

type optionValue struct {
	id   string
	name string
}

type variant struct {
	id             string
	num            int64
	product        *product
	sku            string
	barcode        string
	price          decimal.Decimal
	compareAt      *decimal.Decimal
	options        []string // one value per product option, in option order
	policy         string
	taxable        bool
	taxCode        string
	item           *inventoryItem
	metafields     []*metafield
	createdAt      time.Time
	updatedAt      time.Time
	mediaID        string
	requiresShip   bool
	unitCost       *decimal.Decimal
	harmonizedCode string
}

func (v *variant) title() string {
	if len(v.options) == 0 {
		return "Default Title"
	}
	return strings.Join(v.options, " / ")
}

func (v *variant) position() int {
	return slices.Index(v.product.variants, v) + 1
}

type media struct {
	id        string
	alt       string
	url       string
	createdAt time.Time
}

type metafield struct {
	id        string
	owner     string // MetafieldOwnerType
	namespace string
	key       string
	typ       string
	value     string
	createdAt time.Time
	updatedAt time.Time
}

type collection struct {
	id        string
	title     string
	handle    string
	updatedAt time.Time
}

type inventoryItem struct {
	id        string
	num       int64
	variant   *variant
	tracked   bool
	weight    *itemWeight       // nil: never set (reads as 0 kg)
	levels    []*inventoryLevel // in activation order
	createdAt time.Time
	updatedAt time.Time
}

// itemWeight is an inventory item's weight, in the unit it was given in
// (WeightUnit: GRAMS, KILOGRAMS, OUNCES, POUNDS).
type itemWeight struct {
	value float64
	unit  string
}

// gramsPer converts a WeightUnit to grams.
var gramsPer = map[string]float64{"GRAMS": 1, "KILOGRAMS": 1000, "OUNCES": 28.349523125, "POUNDS": 453.59237}

// restWeightUnit is the REST API's name of a WeightUnit.
var restWeightUnit = map[string]string{"GRAMS": "g", "KILOGRAMS": "kg", "OUNCES": "oz", "POUNDS": "lb"}

// weightOrDefault is the item's weight, 0 kg when it has none, as Shopify
// reports a variant without a weight.
func (it *inventoryItem) weightOrDefault() itemWeight {
	if it.weight == nil {
		return itemWeight{unit: "KILOGRAMS"}
	}
	return *it.weight
}

// grams is the weight in whole grams, as the REST API's grams field.
func (w itemWeight) grams() int64 { return int64(math.Round(w.value * gramsPer[w.unit])) }

func (it *inventoryItem) level(locationID string) *inventoryLevel {
	for _, l := range it.levels {
		if l.location.id == locationID {
			return l
		}
	}
	return nil
}

// The quantity names a level keeps. on_hand is not kept: it is computed as
// the sum of the states an item can be in while at the location.
var quantityNames = []string{"available", "committed", "reserved", "damaged", "safety_stock", "quality_control", "incoming"}

type inventoryLevel struct {
	id        string
	item      *inventoryItem
	location  *location
	qty       map[string]int
	createdAt time.Time
	updatedAt time.Time
}

// touch stamps a level and its item as changed: an item's updatedAt moves
// with its quantities, so a query on inventoryItems(query:
// "updated_at:>=...") finds the items whose stock changed.
func touch(l *inventoryLevel, now time.Time) {
	l.updatedAt, l.item.updatedAt = now, now
}

func (l *inventoryLevel) quantity(name string) int {
	if name == "on_hand" {
		return l.qty["available"] + l.qty["committed"] + l.qty["reserved"] + l.qty["damaged"] + l.qty["safety_stock"] + l.qty["quality_control"]
	}
	return l.qty[name]
}

type adjustmentGroup struct {
	id        string
	createdAt time.Time
	reason    string
	reference string
	changes   []adjustmentChange
}

type adjustmentChange struct {
	name   string
	delta  int
	after  int
	ledger string
	level  *inventoryLevel
}

type customer struct {
	id         string
	num        int64
	firstName  string
	lastName   string
	email      string
	phone      string
	note       string
	tags       []string
	taxExempt  bool
	locale     string
	state      string
	addresses  []*address
	metafields []*metafield
	contacts   []*companyContact
	createdAt  time.Time
	updatedAt  time.Time
	redacted   bool
}

func (c *customer) displayName() string {
	n := strings.TrimSpace(c.firstName + " " + c.lastName)
	if n == "" {
		n = c.email
	}
	return n
}

type company struct {
	id          string
	num         int64
	name        string
	externalID  string
	note        string
	since       time.Time
	contacts    []*companyContact
	mainContact *companyContact
	locations   []*companyLocation
	metafields  []*metafield
	createdAt   time.Time
	updatedAt   time.Time
}

type companyContact struct {
	id        string
	customer  *customer
	company   *company
	title     string
	locale    string
	createdAt time.Time
	updatedAt time.Time
}

type companyLocation struct {
	id         string
	name       string
	externalID string
	note       string
	phone      string
	locale     string
	currency   string
	company    *company
	billing    *address
	shipping   *address
	taxID      string
	taxExempt  bool
	catalogs   []*catalog
	createdAt  time.Time
	updatedAt  time.Time
}

type catalog struct {
	id        string
	title     string
	status    string
	priceList *priceList
	locations []*companyLocation
}

type priceList struct {
	id         string
	name       string
	currency   string
	adjustType string
	adjustPct  float64
	catalog    *catalog
	fixed      []*fixedPrice // in insertion order
	rules      []*quantityRule
	breaks     []*priceBreak
}

type fixedPrice struct {
	variant   *variant
	price     decimal.Decimal
	compareAt *decimal.Decimal
}

type quantityRule struct {
	variant   *variant
	minimum   int
	maximum   *int
	increment int
}

type priceBreak struct {
	id       string
	variant  *variant
	minimum  int
	price    decimal.Decimal
	currency string
	list     *priceList
}

type order struct {
	id            string
	num           int64
	number        int
	name          string
	email         string
	phone         string
	note          string
	tags          []string
	test          bool
	currency      string
	taxesIncluded bool
	customer      *customer
	compLoc       *companyLocation
	contact       *companyContact
	billing       *address
	shipping      *address
	lines         []*lineItem
	shipLines     []*shippingLine
	discounts     []*discountApp
	transactions  []*transaction
	fos           []*fulfillmentOrder
	fulfillments  []*fulfillment
	refunds       []*refund
	returns       []*orderReturn
	financial     string // OrderDisplayFinancialStatus
	cancelReason  string
	attributes    [][2]string
	sourceName    string
	poNumber      string
	createdAt     time.Time
	updatedAt     time.Time
	processedAt   time.Time
	cancelledAt   time.Time
	closedAt      time.Time
}

type lineItem struct {
	id        string
	num       int64
	order     *order
	variant   *variant // nil for a custom line item
	sku       string
	title     string
	varTitle  string
	vendor    string
	quantity  int
	price     decimal.Decimal // original unit price
	discount  decimal.Decimal // discount on the whole line
	taxLines  []taxLine
	taxable   bool
	requires  bool
	grams     int64 // the variant's weight when ordered, per unit
	discApp   *discountApp
	refunded  int
	fulfilled int
}

type taxLine struct {
	title string
	rate  decimal.Decimal
	price decimal.Decimal
}

type shippingLine struct {
	id       string
	num      int64
	title    string
	code     string
	source   string
	carrier  string
	price    decimal.Decimal
	discount decimal.Decimal
	taxLines []taxLine
}

type discountApp struct {
	kind       string // "code", "manual", "automatic"
	code       string
	title      string
	percentage *decimal.Decimal
	amount     *decimal.Decimal
	target     string // LINE_ITEM or SHIPPING_LINE
	selection  string
	allocation string
	index      int
}

type transaction struct {
	id        string
	num       int64
	kind      string // OrderTransactionKind
	status    string
	gateway   string
	authCode  string
	amount    decimal.Decimal
	test      bool
	parent    *transaction
	order     *order
	createdAt time.Time
}

type fulfillmentOrder struct {
	id        string
	num       int64
	order     *order
	status    string
	location  *location
	lines     []*foLine
	createdAt time.Time
	updatedAt time.Time
}

type foLine struct {
	id        string
	num       int64
	fo        *fulfillmentOrder
	line      *lineItem
	total     int
	remaining int
}

type fulfillment struct {
	id        string
	num       int64
	order     *order
	name      string
	status    string
	tracking  []tracking
	notify    bool
	location  *location
	lines     []*fulfillmentLine
	fos       []*fulfillmentOrder
	createdAt time.Time
	updatedAt time.Time
}

type tracking struct {
	company string
	number  string
	url     string
}

type fulfillmentLine struct {
	id       string
	num      int64
	line     *lineItem
	quantity int
}

type refund struct {
	id        string
	num       int64
	order     *order
	note      string
	lines     []*refundLine
	shipping  decimal.Decimal
	txs       []*transaction
	ret       *orderReturn
	createdAt time.Time
	updatedAt time.Time
}

type refundLine struct {
	id       string
	num      int64
	line     *lineItem
	quantity int
	restock  string
	location *location
}

type orderReturn struct {
	id        string
	num       int64
	order     *order
	name      string
	status    string
	lines     []*returnLine
	refunds   []*refund
	createdAt time.Time
	closedAt  time.Time
}

type returnLine struct {
	id       string
	num      int64
	fline    *fulfillmentLine
	quantity int
	reason   string
	note     string
	customer string
	refunded int
}

type webhookSub struct {
	id              string
	num             int64
	topic           string // WebhookSubscriptionTopic, e.g. ORDERS_CREATE
	uri             string
	format          string
	includeFields   []string
	metafieldSpaces []string
	filter          string
	version         string
	createdAt       time.Time
	updatedAt       time.Time
}

type bulkOp struct {
	id           string
	num          int64
	typ          string // QUERY or MUTATION
	status       string
	errorCode    string
	query        string
	createdAt    time.Time
	completedAt  time.Time
	objectCount  int64
	rootCount    int64
	result       []byte
	partial      bool
	version      string
	stagedPath   string
	clientID     string
	cancelled    bool
	failWithCode string
}

type stagedUpload struct {
	key      string
	filename string
	mimeType string
	data     []byte
	uploaded bool
}

type idemRecord struct {
	field       string
	fingerprint string
	result      any
}

// money helpers

func sumDec(ds ...decimal.Decimal) decimal.Decimal {
	s := decimal.Zero
	for _, d := range ds {
		s = s.Add(d)
	}
	return s
}

func (st *state) currency() string { return st.shop.currency }

// handleize makes a Shopify handle from a title.
func handleize(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case r == 'ä':
			b.WriteString("a")
		case r == 'ö':
			b.WriteString("o")
		case r == 'ü':
			b.WriteString("u")
		case r == 'ß':
			b.WriteString("ss")
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// uniqueHandle returns h, or h-1, h-2, ... when another product has it.
func (st *state) uniqueHandle(h string, self *product) string {
	if h == "" {
		h = "product"
	}
	taken := func(c string) bool {
		for _, p := range st.products {
			if p != self && p.handle == c {
				return true
			}
		}
		return false
	}
	if !taken(h) {
		return h
	}
	for i := 1; ; i++ {
		if c := fmt.Sprintf("%s-%d", h, i); !taken(c) {
			return c
		}
	}
}

func (st *state) productByHandle(h string) *product {
	for _, p := range st.products {
		if p.handle == h {
			return p
		}
	}
	return nil
}

// productByMetafield finds the product whose metafield namespace.key has
// value: the customId identity of productSet and productByIdentifier.
func (st *state) productByMetafield(namespace, key, value string) *product {
	if namespace == "" {
		namespace = "custom"
	}
	for _, p := range st.products {
		for _, m := range p.metafields {
			if m.namespace == namespace && m.key == key && m.value == value {
				return p
			}
		}
	}
	return nil
}

// variantBySKU returns the first variant with sku.
func (st *state) variantBySKU(sku string) *variant {
	for _, p := range st.products {
		for _, v := range p.variants {
			if v.sku == sku {
				return v
			}
		}
	}
	return nil
}

func (st *state) locationByIDOrName(s string) *location {
	for _, l := range st.locations {
		if l.id == s || l.name == s {
			return l
		}
	}
	return nil
}

func (st *state) orderByNameOrID(s string) *order {
	for _, o := range st.orders {
		if o.id == s || o.name == s || strconv.Itoa(o.number) == s {
			return o
		}
	}
	return nil
}

func removeOne[T comparable](list []T, v T) []T {
	if i := slices.Index(list, v); i >= 0 {
		return slices.Delete(list, i, i+1)
	}
	return list
}
