package kontor

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
)

// This file holds the pure checks behind the domain model's Validate methods:
// product codes, VAT IDs, countries and currencies. They check shape and check
// digits only; whether a VAT ID is registered is for the tax authorities to
// say, not for an offline check.

// CheckGTIN reports whether s is a GTIN-8 (EAN-8), GTIN-12 (UPC-A), GTIN-13
// (EAN-13) or GTIN-14: digits only, one of those lengths, and a GS1 mod-10
// check digit that matches. Shops store barcodes as free text, so this is
// what catches a mistyped or truncated one before an ERP rejects it.
func CheckGTIN(s string) error {
	if s == "" {
		return errors.New("GTIN is empty")
	}
	pos := 0
	for _, r := range s {
		pos++
		if r < '0' || r > '9' {
			return fmt.Errorf("GTIN has a non-digit at position %d", pos)
		}
	}
	switch len(s) {
	case 8, 12, 13, 14:
	default:
		return fmt.Errorf("GTIN has %d digits, want 8, 12, 13 or 14", len(s))
	}
	last := len(s) - 1
	if got, want := int(s[last]-'0'), gtinCheckDigit(s[:last]); got != want {
		return fmt.Errorf("GTIN check digit is %d, want %d", got, want)
	}
	return nil
}

// gtinCheckDigit returns the GS1 mod-10 check digit for the digits before it:
// weights 3 and 1 alternate from the right, starting with 3.
func gtinCheckDigit(digits string) int {
	sum := 0
	for i := len(digits) - 1; i >= 0; i -= 2 {
		sum += 3 * int(digits[i]-'0')
		if i > 0 {
			sum += int(digits[i-1] - '0')
		}
	}
	return (10 - sum%10) % 10
}

// vatRule is the shape of one VAT prefix's national part (what follows the
// two-letter prefix) and, where a cheap published algorithm exists, its
// check digits.
type vatRule struct {
	re     *regexp.Regexp
	format string            // the shape in words, for error messages
	valid  func(string) bool // the check digits; nil when only the shape is checked
}

func vat(pattern, format string, valid func(string) bool) vatRule {
	return vatRule{re: regexp.MustCompile(`^(?:` + pattern + `)$`), format: format, valid: valid}
}

// vatRules maps each EU VAT prefix, and XI for Northern Ireland, to its
// national format as the EU's VIES service documents it.
var vatRules = map[string]vatRule{
	"AT": vat(`U[0-9]{8}`, "U and 8 digits", vatCheckAT),
	"BE": vat(`[01][0-9]{9}`, "10 digits starting with 0 or 1", vatCheckBE),
	"BG": vat(`[0-9]{9,10}`, "9 or 10 digits", nil),
	"CY": vat(`[0-9]{8}[A-Z]`, "8 digits and a letter", nil),
	"CZ": vat(`[0-9]{8,10}`, "8 to 10 digits", nil),
	"DE": vat(`[1-9][0-9]{8}`, "9 digits not starting with 0", vatCheckDE),
	"DK": vat(`[0-9]{8}`, "8 digits", nil),
	"EE": vat(`[0-9]{9}`, "9 digits", nil),
	"EL": vat(`[0-9]{9}`, "9 digits", nil),
	"ES": vat(`[0-9A-Z][0-9]{7}[0-9A-Z]`, "9 characters: a letter or digit, 7 digits, a letter or digit", nil),
	"FI": vat(`[0-9]{8}`, "8 digits", nil),
	"FR": vat(`[0-9A-HJ-NP-Z]{2}[0-9]{9}`, "2 letters or digits other than I and O, and 9 digits", nil),
	"HR": vat(`[0-9]{11}`, "11 digits", nil),
	"HU": vat(`[0-9]{8}`, "8 digits", nil),
	"IE": vat(`[0-9]{7}[A-Z]{1,2}|[0-9][A-Z+*][0-9]{5}[A-Z]`, "7 digits and 1 or 2 letters, or the old 8-character form", nil),
	"IT": vat(`[0-9]{11}`, "11 digits", luhnValid),
	"LT": vat(`[0-9]{9}|[0-9]{12}`, "9 or 12 digits", nil),
	"LU": vat(`[0-9]{8}`, "8 digits", nil),
	"LV": vat(`[0-9]{11}`, "11 digits", nil),
	"MT": vat(`[0-9]{8}`, "8 digits", nil),
	"NL": vat(`[0-9]{9}B[0-9]{2}`, "9 digits, B and 2 digits", vatCheckNL),
	"PL": vat(`[0-9]{10}`, "10 digits", vatCheckPL),
	"PT": vat(`[0-9]{9}`, "9 digits", nil),
	"RO": vat(`[0-9]{2,10}`, "2 to 10 digits", nil),
	"SE": vat(`[0-9]{10}01`, "12 digits ending in 01", nil),
	"SI": vat(`[0-9]{8}`, "8 digits", nil),
	"SK": vat(`[0-9]{10}`, "10 digits", nil),
	"XI": vat(`[0-9]{9}|[0-9]{12}|GD[0-9]{3}|HA[0-9]{3}`, "9 or 12 digits, or GD or HA and 3 digits", nil),
}

// otherVATID is what is accepted, after normalising, for a country whose
// format is not checked.
var otherVATID = regexp.MustCompile(`^[A-Z0-9]{1,20}$`)

// NormalizeVATID returns id without spaces, dots and hyphens and with ASCII
// letters upper-cased: "de 136.695-976" becomes "DE136695976". People and
// shops write VAT IDs in many ways; compare and store the normalised form.
// Only ASCII is upper-cased, so no other letter can turn into a valid one.
func NormalizeVATID(id string) string {
	var b strings.Builder
	b.Grow(len(id))
	for _, r := range id {
		switch {
		case r == '.' || r == '-' || unicode.IsSpace(r):
		case 'a' <= r && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// CheckVATID reports whether id has the shape of a VAT identification number
// of country (an ISO 3166-1 alpha-2 code), after NormalizeVATID. It does not
// ask whether the number is registered.
//
// For the EU member states and Northern Ireland (country "XI", or "GB" with an
// XI-prefixed ID) the ID must start with the country's VAT prefix (EL for
// Greece) and its national part must have the format the EU's VIES service
// documents; for AT, BE, DE, IT, NL and PL the check digits are verified too.
// With country empty, the prefix picks the rules and must be one of those.
// VAT IDs of other countries are accepted as given when they are 1 to 20
// letters and digits: their formats are not checked.
func CheckVATID(id string, country string) error {
	n := NormalizeVATID(id)
	if n == "" {
		return errors.New("VAT ID is empty")
	}
	country = strings.ToUpper(country)
	prefix := vatPrefix(country)
	if country == "GB" && strings.HasPrefix(n, "XI") {
		prefix = "XI"
	}
	if country == "" {
		if len(n) < 2 {
			return errors.New("VAT ID is too short to have a country prefix")
		}
		if _, ok := vatRules[n[:2]]; !ok {
			return fmt.Errorf("VAT ID prefix %q is not an EU VAT prefix; give the country to accept other VAT IDs", n[:2])
		}
		prefix = n[:2]
	}
	rule, ok := vatRules[prefix]
	if !ok {
		if !otherVATID.MatchString(n) {
			return errors.New("VAT ID is not 1 to 20 letters and digits once spaces, dots and hyphens are removed")
		}
		return nil
	}
	// The messages below name the prefix but never the ID: a sole trader's
	// VAT ID is personal data, and these reasons reach logs.
	if !strings.HasPrefix(n, prefix) {
		return fmt.Errorf("VAT ID of country %s must start with %s", country, prefix)
	}
	if !rule.re.MatchString(n[len(prefix):]) {
		return fmt.Errorf("VAT ID does not have the %s format (%s, then %s)", prefix, prefix, rule.format)
	}
	if rule.valid != nil && !rule.valid(n[len(prefix):]) {
		return fmt.Errorf("VAT ID has the %s format but a wrong check digit", prefix)
	}
	return nil
}

// vatPrefix returns the VAT prefix of an upper-case country code, or "" when
// its VAT IDs are not checked. Greece's prefix is EL, not its ISO code GR.
func vatPrefix(country string) string {
	if country == "GR" {
		return "EL"
	}
	if _, ok := vatRules[country]; ok {
		return country
	}
	return ""
}

// digit returns the value of the i-th byte of s, which must be a digit.
func digit(s string, i int) int { return int(s[i] - '0') }

// vatCheckAT checks "U" and 8 digits: weights 1,2,1,2,1,2,1 with the digits of
// each product summed, then (10 - (sum+4) mod 10) mod 10 is the last digit.
func vatCheckAT(s string) bool {
	d := s[1:]
	sum := 0
	for i := 0; i < 7; i++ {
		p := digit(d, i) * (1 + i%2)
		sum += p/10 + p%10
	}
	return (10-(sum+4)%10)%10 == digit(d, 7)
}

// vatCheckBE checks that the last two digits are 97 minus the first eight
// mod 97.
func vatCheckBE(s string) bool {
	head, _ := strconv.Atoi(s[:8])
	check, _ := strconv.Atoi(s[8:])
	return 97-head%97 == check
}

// vatCheckDE checks the ninth digit with ISO 7064 MOD 11,10.
func vatCheckDE(s string) bool {
	p := 10
	for i := 0; i < 8; i++ {
		sum := (digit(s, i) + p) % 10
		if sum == 0 {
			sum = 10
		}
		p = 2 * sum % 11
	}
	check := 11 - p
	if check == 10 {
		check = 0
	}
	return check == digit(s, 8)
}

// vatCheckNL accepts either scheme the Netherlands uses: the older IDs carry a
// mod-11 check digit; the IDs given to sole traders since 2020 (which no
// longer contain their citizen service number) pass mod 97 instead.
func vatCheckNL(s string) bool { return nlMod11(s) || nlMod97(s) }

// nlMod11 checks the ninth digit: weights 9 to 2 on the first eight, mod 11.
func nlMod11(s string) bool {
	sum := 0
	for i := 0; i < 8; i++ {
		sum += (9 - i) * digit(s, i)
	}
	return sum%11 == digit(s, 8)
}

// nlMod97 checks ISO 7064 mod 97-10 over the whole ID, prefix included, with
// letters counted as A=10 … Z=35: the remainder must be 1.
func nlMod97(s string) bool {
	rem := 0
	for _, r := range "NL" + s {
		if r >= 'A' {
			rem = (rem*100 + int(r-'A') + 10) % 97
		} else {
			rem = (rem*10 + int(r-'0')) % 97
		}
	}
	return rem == 1
}

// vatCheckPL checks the tenth digit: weights 6,5,7,2,3,4,5,6,7, sum mod 11.
func vatCheckPL(s string) bool {
	weights := [9]int{6, 5, 7, 2, 3, 4, 5, 6, 7}
	sum := 0
	for i, w := range weights {
		sum += w * digit(s, i)
	}
	return sum%11 == digit(s, 9)
}

// luhnValid reports whether the digits of s pass the Luhn check, as the
// eleventh digit of an Italian partita IVA does.
func luhnValid(s string) bool {
	sum := 0
	for i := len(s) - 1; i >= 0; i-- {
		d := digit(s, i)
		if (len(s)-1-i)%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// withdrawnCountries are codes that the region data still marks as countries
// although ISO 3166-1 withdrew them (the states split up).
var withdrawnCountries = map[string]bool{"AN": true, "CS": true, "NT": true, "SU": true, "YU": true}

// CheckCountry reports whether code is an ISO 3166-1 alpha-2 country code in
// upper case, such as "DE" or "US". Deprecated codes ("UK" for "GB"),
// withdrawn ones ("YU"), groups ("EU", "419") and reserved ones ("EZ", "IC")
// are rejected. "XK" (Kosovo) is accepted: it is not assigned by ISO but is
// what shops and carriers use.
func CheckCountry(code string) error {
	if len(code) != 2 || !isUpperASCII(code) {
		return fmt.Errorf("country code %q is not two upper-case letters", code)
	}
	r, err := language.ParseRegion(code)
	if err != nil || !r.IsCountry() || r.M49() == 0 || withdrawnCountries[code] {
		return fmt.Errorf("country code %q is not an ISO 3166-1 country", code)
	}
	if c := r.Canonicalize(); c != r {
		return fmt.Errorf("country code %q is deprecated, use %q", code, c.String())
	}
	return nil
}

func isUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// minorUnits holds the ISO 4217 minor units where the currency data of
// golang.org/x/text (CLDR 32, from 2017) says otherwise (it has the digits
// shown on prices, 0 for IDR or COP) or lacks the code (introduced later).
var minorUnits = map[string]int{
	"AFN": 2, "ALL": 2, "AMD": 2, "COP": 2, "GYD": 2, "IDR": 2, "IQD": 3,
	"IRR": 2, "KPW": 2, "LAK": 2, "LBP": 2, "MGA": 2, "MMK": 2, "MNT": 2,
	"MRO": 2, "MUR": 2, "PKR": 2, "RSD": 2, "SLL": 2, "SOS": 2, "STD": 2,
	"SYP": 2, "TZS": 2, "UZS": 2, "YER": 2,
	// newer than the data
	"MRU": 2, "SLE": 2, "UYW": 4, "VED": 2, "VES": 2, "XCG": 2, "ZWG": 2,
}

// notMoney are ISO 4217 codes that no price is given in: no currency, the
// test code, precious metals and accounting units.
var notMoney = map[string]bool{
	"XXX": true, "XTS": true, "XAU": true, "XAG": true, "XPD": true, "XPT": true,
	"XDR": true, "XBA": true, "XBB": true, "XBC": true, "XBD": true, "XSU": true, "XUA": true,
}

// CheckCurrency reports whether code is an upper-case ISO 4217 currency code
// that prices can be given in. Codes of replaced currencies (DEM, HRK) are
// accepted, since old orders carry them; XXX (no currency), XTS (testing),
// metals such as XAU and units of account such as XDR are not.
func CheckCurrency(code string) error {
	if len(code) != 3 || !isUpperASCII(code) {
		return fmt.Errorf("currency code %q is not three upper-case letters", code)
	}
	if notMoney[code] {
		return fmt.Errorf("currency code %q is not a currency prices are given in", code)
	}
	if _, ok := minorUnits[code]; ok {
		return nil
	}
	if _, err := currency.ParseISO(code); err != nil {
		return fmt.Errorf("currency code %q is not an ISO 4217 currency", code)
	}
	return nil
}

// CurrencyScale returns the ISO 4217 minor unit of a currency, the number of
// decimals its amounts have: 2 for EUR, 0 for JPY, 3 for KWD. For a code that
// CheckCurrency rejects it returns 2, the most common scale: check first.
func CurrencyScale(code string) int {
	if d, ok := minorUnits[code]; ok {
		return d
	}
	if CheckCurrency(code) != nil {
		return 2
	}
	scale, _ := currency.Standard.Rounding(currency.MustParseISO(code))
	return scale
}
