package kontor

import "context"

type fieldsKey struct{}

// WithFields returns ctx telling a sink that the batch being written owns
// only these fields of its entity (top-level JSON names such as "title" or
// "variants"): another flow, or a person working in the target system,
// owns the rest, which the write must leave as it is. A sink that can
// update single fields writes only these; one that cannot writes the whole
// entity and says so in its documentation.
func WithFields(ctx context.Context, fields []string) context.Context {
	return context.WithValue(ctx, fieldsKey{}, append([]string(nil), fields...))
}

// Fields returns the fields the batch being written owns, or nil when it
// owns the whole entity.
func Fields(ctx context.Context) []string {
	f, _ := ctx.Value(fieldsKey{}).([]string)
	return f
}
