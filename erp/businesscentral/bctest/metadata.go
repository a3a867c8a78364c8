package bctest

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"sort"
)

// serveMetadata answers GET $metadata with a CSDL document of the entity
// types the route serves (types, keys, navigation and the bound actions),
// without the annotations Business Central adds.
func (s *Server) serveMetadata(o *op) result {
	if o.method != http.MethodGet {
		return s.fail(methodNotAllowed(o.method, "$metadata", "Metadata"))
	}
	var names []string
	for set, et := range s.types {
		if et.root == o.root {
			names = append(names, set)
		}
	}
	sort.Strings(names)
	esc := func(v string) string {
		var b bytes.Buffer
		_ = xml.EscapeText(&b, []byte(v))
		return b.String()
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices>`)
	b.WriteString(`<Schema Namespace="Microsoft.NAV" xmlns="http://docs.oasis-open.org/odata/ns/edm">`)
	for _, set := range names {
		et := s.types[set]
		b.WriteString(`<EntityType Name="` + esc(et.name) + `"><Key><PropertyRef Name="id"/></Key>`)
		for _, p := range et.props {
			b.WriteString(`<Property Name="` + esc(p.name) + `" Type="` + p.kind.edm() + `"`)
			if p.name == "id" {
				b.WriteString(` Nullable="false"`)
			}
			if p.maxLen > 0 {
				b.WriteString(` MaxLength="` + itoa(p.maxLen) + `"`)
			}
			b.WriteString(`/>`)
		}
		for _, n := range et.navs {
			t := "Microsoft.NAV." + s.types[n.set].name
			if !n.single {
				t = "Collection(" + t + ")"
			}
			b.WriteString(`<NavigationProperty Name="` + esc(n.name) + `" Type="` + esc(t) + `"/>`)
		}
		b.WriteString(`</EntityType>`)
	}
	if o.root == rootV2 {
		for _, a := range [][2]string{{"shipAndInvoice", "salesOrder"}, {"post", "salesCreditMemo"}, {"send", "salesCreditMemo"},
			{"postAndSend", "salesCreditMemo"}, {"cancel", "salesCreditMemo"}, {"cancelAndSend", "salesCreditMemo"},
			{"post", "salesInvoice"}, {"send", "salesInvoice"}, {"postAndSend", "salesInvoice"}, {"cancel", "salesInvoice"},
			{"cancelAndSend", "salesInvoice"}, {"makeCorrectiveCreditMemo", "salesInvoice"}} {
			b.WriteString(`<Action Name="` + a[0] + `" IsBound="true"><Parameter Name="bindingParameter" Type="Microsoft.NAV.` + a[1] + `"/></Action>`)
		}
	}
	b.WriteString(`<EntityContainer Name="NAV">`)
	for _, set := range names {
		et := s.types[set]
		if et.parentOnly {
			continue
		}
		b.WriteString(`<EntitySet Name="` + esc(set) + `" EntityType="Microsoft.NAV.` + esc(et.name) + `"/>`)
	}
	b.WriteString(`</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>`)
	h := http.Header{}
	h.Set("Content-Type", "application/xml")
	h.Set("OData-Version", "4.0")
	return result{status: http.StatusOK, header: h, body: b.Bytes()}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
