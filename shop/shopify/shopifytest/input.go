package shopifytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"
)

// in is an input-object argument. graphql-go hands over the raw value, which
// coerce.go has already checked against the schema (for variables) or
// graphql-go itself (for literals); it is decoded into T through JSON, so T
// is a plain struct with json tags of the GraphQL field names.
type in[T any] struct {
	V   T
	Set bool // false when the argument was null or absent
}

func (in[T]) ImplementsGraphQLType(string) bool { return true }

// Nullable lets graphql-go use in for nullable arguments too.
func (in[T]) Nullable() {}

func (x *in[T]) UnmarshalGraphQL(v any) error {
	if v == nil {
		return nil
	}
	x.Set = true
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(&x.V)
}

// opt is an input field whose presence matters even when it is null, like
// InventoryQuantityInput.changeFromQuantity.
type opt[T any] struct {
	Set   bool
	Value *T
}

func (o *opt[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = nil
		return nil
	}
	o.Value = new(T)
	return json.Unmarshal(b, o.Value)
}

// dec is a Decimal or Money input: a string or a number.
type dec struct{ decimal.Decimal }

func (d *dec) UnmarshalJSON(b []byte) error {
	var v any
	dc := json.NewDecoder(bytes.NewReader(b))
	dc.UseNumber()
	if err := dc.Decode(&v); err != nil {
		return err
	}
	x, err := toDecimal(v)
	if err != nil {
		return fmt.Errorf("invalid decimal %s", b)
	}
	d.Decimal = x
	return nil
}

func decPtr(d *dec) *decimal.Decimal {
	if d == nil {
		return nil
	}
	v := d.Decimal
	return &v
}

// ---- products

type productSetIn struct {
	ID              *string         `json:"id"`
	Title           *string         `json:"title"`
	Handle          *string         `json:"handle"`
	DescriptionHTML *string         `json:"descriptionHtml"`
	Vendor          *string         `json:"vendor"`
	ProductType     *string         `json:"productType"`
	Status          *string         `json:"status"`
	Tags            *[]string       `json:"tags"`
	TemplateSuffix  *string         `json:"templateSuffix"`
	GiftCard        *bool           `json:"giftCard"`
	SEO             *seoIn          `json:"seo"`
	Collections     *[]string       `json:"collections"`
	Metafields      *[]metafieldIn  `json:"metafields"`
	Files           *[]fileSetIn    `json:"files"`
	ProductOptions  *[]optionSetIn  `json:"productOptions"`
	Variants        *[]variantSetIn `json:"variants"`
}

type seoIn struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
}

type identifierIn struct {
	ID       *string     `json:"id"`
	Handle   *string     `json:"handle"`
	CustomID *customIDIn `json:"customId"`
	Email    *string     `json:"email"`
	Phone    *string     `json:"phone"`
	EmailAdr *string     `json:"emailAddress"`
	PhoneNum *string     `json:"phoneNumber"`
}

type customIDIn struct {
	Namespace *string `json:"namespace"`
	Key       string  `json:"key"`
	Value     string  `json:"value"`
}

type metafieldIn struct {
	ID        *string `json:"id"`
	Namespace *string `json:"namespace"`
	Key       *string `json:"key"`
	Value     *string `json:"value"`
	Type      *string `json:"type"`
}

type fileSetIn struct {
	ID             *string `json:"id"`
	OriginalSource *string `json:"originalSource"`
	Alt            *string `json:"alt"`
	ContentType    *string `json:"contentType"`
	Filename       *string `json:"filename"`
}

type optionSetIn struct {
	ID       *string             `json:"id"`
	Name     *string             `json:"name"`
	Position *int                `json:"position"`
	Values   *[]optionValueSetIn `json:"values"`
}

type optionValueSetIn struct {
	ID   *string `json:"id"`
	Name *string `json:"name"`
}

type variantSetIn struct {
	ID                  *string           `json:"id"`
	SKU                 *string           `json:"sku"`
	Barcode             *string           `json:"barcode"`
	Price               *dec              `json:"price"`
	CompareAtPrice      opt[dec]          `json:"compareAtPrice"`
	Position            *int              `json:"position"`
	OptionValues        []variantOptionIn `json:"optionValues"`
	InventoryItem       *inventoryItemIn  `json:"inventoryItem"`
	InventoryPolicy     *string           `json:"inventoryPolicy"`
	InventoryQuantities *[]setInventoryIn `json:"inventoryQuantities"`
	Metafields          *[]metafieldIn    `json:"metafields"`
	File                *fileSetIn        `json:"file"`
	Taxable             *bool             `json:"taxable"`
	TaxCode             *string           `json:"taxCode"`
}

type variantOptionIn struct {
	ID         *string `json:"id"`
	Name       *string `json:"name"`
	OptionID   *string `json:"optionId"`
	OptionName *string `json:"optionName"`
}

type setInventoryIn struct {
	LocationID string `json:"locationId"`
	Name       string `json:"name"`
	Quantity   int    `json:"quantity"`
}

type inventoryItemIn struct {
	SKU                 *string        `json:"sku"`
	Tracked             *bool          `json:"tracked"`
	RequiresShipping    *bool          `json:"requiresShipping"`
	Cost                *dec           `json:"cost"`
	CountryCodeOfOrigin *string        `json:"countryCodeOfOrigin"`
	HarmonizedCode      *string        `json:"harmonizedSystemCode"`
	Measurement         *measurementIn `json:"measurement"`
}

// measurementIn is InventoryItemMeasurementInput (in every API version
// since 2024-07).
type measurementIn struct {
	Weight *weightIn `json:"weight"`
}

type weightIn struct {
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

// weightOf is the weight an inventory item input sets, or nil.
func weightOf(in *inventoryItemIn) *weightIn {
	if in == nil || in.Measurement == nil {
		return nil
	}
	return in.Measurement.Weight
}

// checkWeight refuses a negative weight, as Shopify does; the schema
// checks the unit. path leads to the inventoryItem input.
func checkWeight(in *inventoryItemIn, code string, path ...string) *userError {
	if w := weightOf(in); w != nil && w.Value < 0 {
		return uerr(code, "Weight must be greater than or equal to 0", append(slices.Clone(path), "measurement", "weight", "value")...)
	}
	return nil
}

type variantsBulkIn struct {
	ID              *string            `json:"id"`
	Barcode         *string            `json:"barcode"`
	Price           *dec               `json:"price"`
	CompareAtPrice  opt[dec]           `json:"compareAtPrice"`
	InventoryItem   *inventoryItemIn   `json:"inventoryItem"`
	InventoryPolicy *string            `json:"inventoryPolicy"`
	Metafields      *[]metafieldIn     `json:"metafields"`
	OptionValues    *[]variantOptionIn `json:"optionValues"`
	Taxable         *bool              `json:"taxable"`
	TaxCode         *string            `json:"taxCode"`
	MediaID         *string            `json:"mediaId"`
}

type productDeleteIn struct {
	ID string `json:"id"`
}

type contextIn struct {
	Country           *string `json:"country"`
	CompanyLocationID *string `json:"companyLocationId"`
	LocationID        *string `json:"locationId"`
}

// ---- prices

type moneyIn struct {
	Amount       dec    `json:"amount"`
	CurrencyCode string `json:"currencyCode"`
}

type priceListPriceIn struct {
	VariantID      string   `json:"variantId"`
	Price          moneyIn  `json:"price"`
	CompareAtPrice *moneyIn `json:"compareAtPrice"`
}

type priceListCreateIn struct {
	Name     string `json:"name"`
	Currency string `json:"currency"`
	Parent   struct {
		Adjustment struct {
			Type  string  `json:"type"`
			Value float64 `json:"value"`
		} `json:"adjustment"`
	} `json:"parent"`
	CatalogID *string `json:"catalogId"`
}

type quantityPricingIn struct {
	PricesToAdd                      []priceListPriceIn `json:"pricesToAdd"`
	PricesToDeleteByVariantID        []string           `json:"pricesToDeleteByVariantId"`
	QuantityRulesToAdd               []quantityRuleIn   `json:"quantityRulesToAdd"`
	QuantityRulesToDeleteByVariantID []string           `json:"quantityRulesToDeleteByVariantId"`
	QuantityPriceBreaksToAdd         []priceBreakIn     `json:"quantityPriceBreaksToAdd"`
	QuantityPriceBreaksToDelete      []string           `json:"quantityPriceBreaksToDelete"`
	QuantityPriceBreaksToDeleteByVar []string           `json:"quantityPriceBreaksToDeleteByVariantId"`
}

type quantityRuleIn struct {
	VariantID string `json:"variantId"`
	Minimum   int    `json:"minimum"`
	Maximum   *int   `json:"maximum"`
	Increment int    `json:"increment"`
}

type priceBreakIn struct {
	VariantID       string  `json:"variantId"`
	Price           moneyIn `json:"price"`
	MinimumQuantity int     `json:"minimumQuantity"`
}

type catalogCreateIn struct {
	Title   string `json:"title"`
	Status  string `json:"status"`
	Context struct {
		CompanyLocationIDs []string `json:"companyLocationIds"`
	} `json:"context"`
	PriceListID *string `json:"priceListId"`
}

// ---- inventory

type inventorySetIn struct {
	Name                  string           `json:"name"`
	Reason                string           `json:"reason"`
	ReferenceDocumentURI  *string          `json:"referenceDocumentUri"`
	IgnoreCompareQuantity *bool            `json:"ignoreCompareQuantity"` // before 2026-04
	Quantities            []inventoryQtyIn `json:"quantities"`
}

type inventoryQtyIn struct {
	InventoryItemID    string   `json:"inventoryItemId"`
	LocationID         string   `json:"locationId"`
	Quantity           int      `json:"quantity"`
	ChangeFromQuantity opt[int] `json:"changeFromQuantity"`
	CompareQuantity    *int     `json:"compareQuantity"` // before 2026-04
}

type inventoryAdjustIn struct {
	Name                 string              `json:"name"`
	Reason               string              `json:"reason"`
	ReferenceDocumentURI *string             `json:"referenceDocumentUri"`
	Changes              []inventoryChangeIn `json:"changes"`
}

type inventoryChangeIn struct {
	Delta              int      `json:"delta"`
	InventoryItemID    string   `json:"inventoryItemId"`
	LocationID         string   `json:"locationId"`
	LedgerDocumentURI  *string  `json:"ledgerDocumentUri"`
	ChangeFromQuantity opt[int] `json:"changeFromQuantity"`
}

// ---- fulfillment and orders

type fulfillmentIn struct {
	LineItemsByFulfillmentOrder []struct {
		FulfillmentOrderID        string `json:"fulfillmentOrderId"`
		FulfillmentOrderLineItems *[]struct {
			ID       string `json:"id"`
			Quantity int    `json:"quantity"`
		} `json:"fulfillmentOrderLineItems"`
	} `json:"lineItemsByFulfillmentOrder"`
	NotifyCustomer *bool       `json:"notifyCustomer"`
	TrackingInfo   *trackingIn `json:"trackingInfo"`
}

type trackingIn struct {
	Company *string   `json:"company"`
	Number  *string   `json:"number"`
	Numbers *[]string `json:"numbers"`
	URL     *string   `json:"url"`
	URLs    *[]string `json:"urls"`
}

type orderMarkAsPaidIn struct {
	ID string `json:"id"`
}

type refundMethodIn struct {
	OriginalPaymentMethodsRefund *bool `json:"originalPaymentMethodsRefund"`
}

// ---- customers and companies

type addressIn struct {
	Address1     *string `json:"address1"`
	Address2     *string `json:"address2"`
	City         *string `json:"city"`
	Company      *string `json:"company"`
	CountryCode  *string `json:"countryCode"`
	FirstName    *string `json:"firstName"`
	LastName     *string `json:"lastName"`
	Phone        *string `json:"phone"`
	ProvinceCode *string `json:"provinceCode"`
	ZoneCode     *string `json:"zoneCode"`
	Zip          *string `json:"zip"`
	Recipient    *string `json:"recipient"`
}

type customerIn struct {
	ID         *string        `json:"id"`
	FirstName  *string        `json:"firstName"`
	LastName   *string        `json:"lastName"`
	Email      *string        `json:"email"`
	Phone      *string        `json:"phone"`
	Note       *string        `json:"note"`
	Tags       *[]string      `json:"tags"`
	TaxExempt  *bool          `json:"taxExempt"`
	Locale     *string        `json:"locale"`
	Addresses  *[]addressIn   `json:"addresses"`
	Metafields *[]metafieldIn `json:"metafields"`
}

type companyCreateIn struct {
	Company         companyIn          `json:"company"`
	CompanyContact  *companyContactIn  `json:"companyContact"`
	CompanyLocation *companyLocationIn `json:"companyLocation"`
}

type companyIn struct {
	Name          *string `json:"name"`
	ExternalID    *string `json:"externalId"`
	Note          *string `json:"note"`
	CustomerSince *string `json:"customerSince"`
}

type companyContactIn struct {
	FirstName *string `json:"firstName"`
	LastName  *string `json:"lastName"`
	Email     *string `json:"email"`
	Phone     *string `json:"phone"`
	Title     *string `json:"title"`
	Locale    *string `json:"locale"`
}

type companyLocationIn struct {
	Name                  *string    `json:"name"`
	ExternalID            *string    `json:"externalId"`
	Note                  *string    `json:"note"`
	Phone                 *string    `json:"phone"`
	Locale                *string    `json:"locale"`
	TaxRegistrationID     *string    `json:"taxRegistrationId"`
	TaxExempt             *bool      `json:"taxExempt"`
	BillingSameAsShipping *bool      `json:"billingSameAsShipping"`
	BillingAddress        *addressIn `json:"billingAddress"`
	ShippingAddress       *addressIn `json:"shippingAddress"`
}

// ---- bulk, staged uploads and webhooks

type stagedUploadIn struct {
	Resource   string  `json:"resource"`
	Filename   string  `json:"filename"`
	MimeType   string  `json:"mimeType"`
	HTTPMethod *string `json:"httpMethod"`
}

type webhookSubIn struct {
	URI                 *string   `json:"uri"`
	CallbackURL         *string   `json:"callbackUrl"`
	Format              *string   `json:"format"`
	IncludeFields       *[]string `json:"includeFields"`
	MetafieldNamespaces *[]string `json:"metafieldNamespaces"`
	Filter              *string   `json:"filter"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
